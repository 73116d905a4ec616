// ONNX models through the registry and the serving API: models built in the test
// (test/serve/onnx-models.ts), answers checked against the same models computed in JavaScript.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createSession, isLockstepError, type Session } from '../../src/index.ts';
import { createServeApp, type ServeApp } from '../../src/serve/app.ts';
import { FEATURES, irisRows, writeIrisCsv } from '../artifacts/iris.ts';
import { type Backend, backends, postgresAvailable, ROOT, runCli, tempDir } from '../helpers.ts';
import {
  forestOnnx,
  forestPredict,
  type Linear,
  labelEncoderOnnx,
  logisticOnnx,
  logisticPredict,
  mlpOnnx,
  mlpPredict,
  randomForest,
  randomMlp,
} from './onnx-models.ts';

// a linear model that separates iris fairly well: petal length and width against sepal width
const IRIS: Linear = {
  W: [
    [0.4, 1.4, -2.2, -1.0],
    [0.4, -1.5, 0.1, -1.2],
    [-1.6, -1.4, 2.3, 2.6],
  ],
  b: [0.3, 1.4, -1.7],
  classes: ['setosa', 'versicolor', 'virginica'],
};
const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

async function fixture(backend: Backend): Promise<{ session: Session; dir: string } | undefined> {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  const dir = tempDir();
  const session = await createSession(await backend.fresh(), {
    artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
  });
  return { session, dir };
}

async function post(app: ServeApp, url: string, payload: unknown) {
  return app.inject({ method: 'POST', url, payload: payload as object });
}

for (const backend of backends()) {
  describe(`ONNX models: registry and serving (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a sklearn-style classifier with ZipMap: labels and probabilities as computed independently', async (t) => {
      const fx = await fixture(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session, dir } = fx;
      const file = join(dir, 'logreg.onnx');
      writeFileSync(file, logisticOnnx(IRIS, true));
      const v = await session.models.registerOnnx('iris-onnx', file, {
        schema: { features: FEATURES, target: 'species' },
        aliases: ['champion'],
      });
      assert.equal(v.format, 'onnx');
      assert.deepEqual(v.labels, IRIS.classes);
      assert.deepEqual(
        v.inputSchema.features.map((f) => f.name),
        FEATURES,
      );
      assert.deepEqual(v.inputSchema.onnx?.inputs, [{ name: 'float_input', type: 'float32', shape: ['N', 4] }]);
      assert.equal(v.inputSchema.onnx?.classifier?.label, 'output_label');
      assert.match(v.algorithm, /LinearClassifier, ZipMap/);

      const app = await createServeApp({ session, uri: 'models:/iris-onnx@champion' });
      const one = await post(app, '/predict', SETOSA);
      assert.equal(one.statusCode, 200, one.body);
      const want = logisticPredict(
        IRIS,
        FEATURES.map((f) => SETOSA[f as keyof typeof SETOSA]),
      );
      const got = one.json().prediction;
      assert.equal(got.label, want.label);
      for (const c of IRIS.classes) assert.ok(close(got.probabilities[c], want.probabilities[c] as number), c);
      assert.equal(one.json().cached, false);
      assert.equal((await post(app, '/predict', SETOSA)).json().cached, true);

      // a batch mixes objects and arrays in feature order; every answer matches the independent computation
      const rows = irisRows().slice(40, 110);
      const batch = await post(app, '/predict', {
        instances: rows.map((r, i) =>
          i % 2 ? FEATURES.map((f) => r[f]) : Object.fromEntries(FEATURES.map((f) => [f, r[f]])),
        ),
      });
      assert.equal(batch.statusCode, 200, batch.body);
      batch.json().predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
        const w = logisticPredict(
          IRIS,
          FEATURES.map((f) => rows[i]?.[f] as number),
        );
        assert.equal(p.label, w.label);
        assert.ok(close(p.probabilities.virginica as number, w.probabilities.virginica as number));
      });

      // bad input is a 422 naming the field
      const wrongType = await post(app, '/predict', { ...SETOSA, petal_width: 'wide' });
      assert.equal(wrongType.statusCode, 422);
      assert.equal(wrongType.json().error.field, 'petal_width');
      const short = await post(app, '/predict', { instances: [[1, 2, 3]] });
      assert.equal(short.statusCode, 422);
      assert.equal(short.json().error.field, 'instances[0]');
      assert.match(short.json().error.message, /expected an array of 4 numbers/);
      const extra = await post(app, '/predict', { ...SETOSA, colour: 'red' });
      assert.equal(extra.json().error.field, 'colour');
      // the input's own name with its tensor works too
      const tensor = await post(app, '/predict', { float_input: [5.1, 3.5, 1.4, 0.2] });
      assert.equal(tensor.json().prediction.label, want.label);

      // the API documents the model's own fields
      const doc = (await app.inject({ url: '/openapi.json' })).json();
      assert.match(JSON.stringify(doc.paths['/predict'].post.requestBody), /petal_width/);
      const answer = JSON.stringify(doc.paths['/predict'].post.responses['200']);
      assert.match(answer, /"enum":\["setosa","versicolor","virginica"\]/);
      const health = (await app.inject({ url: '/health' })).json();
      assert.equal(health.format, 'onnx');
      const models = (await app.inject({ url: '/models' })).json();
      assert.equal(models.versions[0].format, 'onnx');

      // evaluate on a registered dataset: accuracy as computed independently
      await session.registerDataset('iris', writeIrisCsv(dir));
      const evaluated = await post(app, '/evaluate', { dataset: 'iris' });
      assert.equal(evaluated.statusCode, 200, evaluated.body);
      const all = irisRows();
      const correct = all.filter(
        (r) =>
          logisticPredict(
            IRIS,
            FEATURES.map((f) => r[f] as number),
          ).label === r.species,
      ).length;
      assert.equal(evaluated.json().metrics.n, 150);
      assert.equal(evaluated.json().metrics.accuracy, correct / 150);
      assert.ok(correct > 100, `the fixture model should be better than chance (${correct}/150)`);

      // retrain: refused with what can be done instead
      const retrain = await post(app, '/retrain', {});
      assert.equal(retrain.statusCode, 409);
      assert.match(
        retrain.json().error.message,
        /ONNX model that lockstep did not train.*lockstep models register.*\/evaluate/,
      );
      await app.close();
      await session.close();
    });

    test('a tree-ensemble classifier with a probability tensor and int64 classes, named by the schema', async (t) => {
      const fx = await fixture(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session } = fx;
      const forest = randomForest(5, 4, 3, [0, 1, 2], 11);
      await session.models.registerOnnx('forest', forestOnnx(forest), { schema: { labels: ['low', 'mid', 'high'] } });
      const app = await createServeApp({ session, uri: 'models:/forest' });
      const xs = [
        [1, 2, 3],
        [7, 0.5, 2],
        [4, 4, 4],
        [0.1, 7.9, 6.5],
      ];
      const res = await post(app, '/predict', { instances: xs });
      assert.equal(res.statusCode, 200, res.body);
      const names = ['low', 'mid', 'high'];
      res.json().predictions.forEach((p: { label: string; probabilities: Record<string, number> }, i: number) => {
        const want = forestPredict(forest, xs[i] as number[]);
        assert.equal(p.label, names[forest.classes.indexOf(want.label)]);
        for (const [k, n] of names.entries())
          assert.ok(close(p.probabilities[n] as number, want.probabilities[k] as number), n);
      });
      // no column names: an instance is the input's value, by name or alone
      const named = await post(app, '/predict', { input: [1, 2, 3] });
      assert.equal(named.json().prediction.label, res.json().predictions[0].label);
      const bad = await post(app, '/predict', { input: [1, 2, 'x'] });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error.field, 'input[2]');
      // the schema must fit the model
      await assert.rejects(
        session.models.registerOnnx('forest', forestOnnx(forest), { schema: { labels: ['a', 'b'] } }),
        (e) => isLockstepError(e, 'E_INPUT') && /schema labels: 2 names for the model's 3 classes/.test(e.message),
      );
      await app.close();
      await session.close();
    });

    test('a regressor (PyTorch-style MLP): raw outputs, shapes and types checked, batching per request', async (t) => {
      const fx = await fixture(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session } = fx;
      const mlp = randomMlp(3, 8, 5);
      const v = await session.models.registerOnnx('mlp', mlpOnnx(mlp));
      assert.equal(v.format, 'onnx');
      assert.deepEqual(v.labels, []);
      assert.equal(v.inputSchema.onnx?.classifier, null);
      const app = await createServeApp({ session, uri: 'models:/mlp', batchWindowMs: 50 });
      const x = [0.3, -1.2, 2];
      const one = await post(app, '/predict', { x });
      assert.equal(one.statusCode, 200, one.body);
      assert.ok(close(one.json().prediction.outputs.y[0], mlpPredict(mlp, x), 1e-4));
      const doc = JSON.stringify((await app.inject({ url: '/openapi.json' })).json().paths['/predict'].post);
      assert.match(doc, /"x":\{"description":"an array of 3 numbers \(float32\)"\}/);
      assert.match(doc, /float32, shape \[batch, 1\]/);
      const alone = await post(app, '/predict', [0.3, -1.2, 2]);
      assert.deepEqual(alone.json().prediction, one.json().prediction);

      for (const [body, field, expected] of [
        [{ x: [1, 2] }, 'x', /expected an array of 3 numbers \(float32\), got 2 values/],
        [{ x: [1, 'a', 3] }, 'x[1]', /expected number, got string "a"/],
        [{ x: [[1, 2, 3]] }, 'x', /expected an array of 3 numbers \(float32\), got 1 value$/],
        [{ z: [1, 2, 3] }, 'x', /expected an array of 3 numbers/],
        [{ instances: [{ x: [1, 2, 3] }, { x: [1, 2, null] }] }, 'instances[1].x[2]', /expected number, got null/],
      ] as const) {
        const r = await post(app, '/predict', body);
        assert.equal(r.statusCode, 422, JSON.stringify(body));
        assert.equal(r.json().error.field, field);
        assert.match(r.json().error.message, expected);
      }

      // concurrent single requests share inference calls; each gets its own answer
      await app.inject({ method: 'DELETE', url: '/cache' });
      const before = (await app.inject({ url: '/health' })).json().batching;
      const inputs = Array.from({ length: 12 }, (_, i) => [i / 3, 1 - i / 5, (i % 4) - 1]);
      const answers = await Promise.all(inputs.map((xi) => post(app, '/predict', { x: xi })));
      answers.forEach((r, i) => {
        assert.equal(r.statusCode, 200);
        assert.ok(close(r.json().prediction.outputs.y[0], mlpPredict(mlp, inputs[i] as number[]), 1e-4));
      });
      const stats = (await app.inject({ url: '/health' })).json().batching;
      assert.equal(stats.instances - before.instances, 12);
      assert.ok(stats.calls - before.calls < 12, `12 concurrent requests took ${stats.calls - before.calls} calls`);
      await app.close();

      // without batching, one call per request
      const solo = await createServeApp({ session, uri: 'models:/mlp', batchWindowMs: 0 });
      await Promise.all(inputs.map((xi) => post(solo, '/predict', { x: xi })));
      assert.equal((await solo.inject({ url: '/health' })).json().batching.calls, 12);
      await solo.close();
      await session.close();
    });

    test('string inputs and int64 outputs; values that read alike are cached apart', async (t) => {
      const fx = await fixture(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session } = fx;
      await session.models.registerOnnx('encoder', labelEncoderOnnx(['a', 'b,c', 'a,b', 'c']));
      const app = await createServeApp({ session, uri: 'models:/encoder' });
      const first = await post(app, '/predict', { words: ['a,b', 'c'] });
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual(first.json().prediction.outputs.codes, [2, 3]);
      const second = await post(app, '/predict', { words: ['a', 'b,c'] });
      assert.deepEqual(second.json().prediction.outputs.codes, [0, 1]);
      assert.equal(second.json().cached, false);
      const typed = await post(app, '/predict', { words: ['a', 3] });
      assert.equal(typed.statusCode, 422);
      assert.equal(typed.json().error.field, 'words[1]');
      assert.match(typed.json().error.message, /expected string, got 3/);
      await app.close();
      await session.close();
    });

    test('a corrupt file is a clear registry error and registers nothing; an MLflow onnx directory is served', async (t) => {
      const fx = await fixture(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session, dir } = fx;
      const corrupt = join(dir, 'broken.onnx');
      writeFileSync(corrupt, Buffer.from(logisticOnnx(IRIS, true)).subarray(0, 200));
      await assert.rejects(
        session.models.registerOnnx('broken', corrupt),
        (e) =>
          isLockstepError(e, 'E_CODEC') && e.message.startsWith(`${corrupt} (model.onnx) is not a usable ONNX model:`),
      );
      writeFileSync(join(dir, 'text.onnx'), 'sepal_length,sepal_width\n1,2\n');
      await assert.rejects(session.models.registerOnnx('broken', join(dir, 'text.onnx')), /is not a usable ONNX model/);
      assert.deepEqual(await session.models.list(), []);

      // an MLflow model directory (what mlflow.onnx.save_model writes): MLmodel with an onnx flavor and a signature
      const mlflowDir = join(dir, 'mlflow-model');
      mkdirSync(mlflowDir);
      writeFileSync(join(mlflowDir, 'model.onnx'), logisticOnnx(IRIS, false));
      const signature = JSON.stringify(FEATURES.map((name) => ({ name, type: 'double' })));
      writeFileSync(
        join(mlflowDir, 'MLmodel'),
        `flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.16.0\n  python_function:\n    loader_module: mlflow.onnx\n    data: model.onnx\nsignature:\n  inputs: '${signature}'\n  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'\n`,
      );
      const v = await session.models.registerOnnx('from-mlflow', mlflowDir);
      assert.equal(v.format, 'onnx');
      assert.match(v.algorithm, /^mlflow onnx: LinearClassifier/);
      assert.deepEqual(
        v.inputSchema.features.map((f) => f.name),
        FEATURES,
      );
      // the same directory as an MLflow client registers it: files already in the blob store
      const tree = await session.artifactHub.ctx.storeTree(mlflowDir, 'mlflow model');
      const viaFiles = await session.models.registerFiles('from-mlflow', {
        files: tree.files,
        source: 'runs:/x/model',
      });
      assert.equal(viaFiles.format, 'onnx');
      const app = await createServeApp({ session, uri: 'models:/from-mlflow/2' });
      const r = await post(app, '/predict', SETOSA);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(
        r.json().prediction.label,
        logisticPredict(
          IRIS,
          FEATURES.map((f) => SETOSA[f as keyof typeof SETOSA]),
        ).label,
      );
      await app.close();
      await session.close();
    });
  });
}

describe('lockstep models register (ONNX) from the command line', () => {
  test('registers a file with a schema, and refuses a corrupt one with exit 2', async () => {
    const dir = tempDir();
    const db = join(dir, 'cli.db');
    const env = { LOCKSTEP_BLOBS: join(dir, 'blobs'), LOCKSTEP_CACHE: join(dir, 'cache') };
    writeFileSync(join(dir, 'model.onnx'), logisticOnnx(IRIS, true));
    writeFileSync(join(dir, 'schema.yml'), `features: [${FEATURES.join(', ')}]\ntarget: species\n`);
    const ok = await runCli(
      [
        'models',
        'register',
        'iris',
        join(dir, 'model.onnx'),
        '--schema',
        join(dir, 'schema.yml'),
        '--alias',
        'champion',
        '--db',
        db,
      ],
      env,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /registered models:\/iris\/1 \(onnx: inputs float_input float32\[N,4\]; classifier of 3 classes\); aliases champion/,
    );
    writeFileSync(join(dir, 'bad.yml'), 'features: [a, b]\ncolour: red\n');
    const badSchema = await runCli(
      ['models', 'register', 'iris', join(dir, 'model.onnx'), '--schema', join(dir, 'bad.yml'), '--db', db],
      env,
    );
    assert.equal(badSchema.code, 2);
    assert.match(badSchema.stderr, /unknown key "colour"/);
    writeFileSync(join(dir, 'broken.onnx'), 'not a model at all');
    const broken = await runCli(['models', 'register', 'iris', join(dir, 'broken.onnx'), '--db', db], env);
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, /broken\.onnx \(model\.onnx\) is not a usable ONNX model/);
    const versions = await runCli(['models', 'versions', 'iris', '--json', '--db', db], env);
    assert.equal(JSON.parse(versions.stdout).length, 1);

    // without onnxruntime-node (a resolve hook hides it), serving says what to install
    const hide =
      'data:text/javascript,' +
      encodeURIComponent(
        `import { register } from 'node:module';
         register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { if (s === "onnxruntime-node") { const e = new Error("Cannot find package onnxruntime-node"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }'));`,
      );
    const serve = spawnSync(
      process.execPath,
      [
        '--import',
        hide,
        '--import',
        'tsx',
        join(ROOT, 'src', 'cli', 'main.ts'),
        'serve',
        'models:/iris@champion',
        '--db',
        db,
        '--port',
        '0',
      ],
      { env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    assert.equal(serve.status, 2, serve.stderr);
    assert.match(serve.stderr, /serving ONNX models needs onnxruntime-node.*npm install onnxruntime-node/);
  });
});
