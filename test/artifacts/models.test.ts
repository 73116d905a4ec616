import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseTable } from '../../src/artifacts/tabular.ts';
import {
  createModelFile,
  createSession,
  isLockstepError,
  LoadedModel,
  MODEL_FORMAT_VERSION,
  parseModelUri,
} from '../../src/index.ts';
import { compileForest } from '../../src/models/forest.ts';
import { parseModelFile } from '../../src/models/format.ts';
import { ALGORITHMS } from '../../src/models/mljs.ts';
import { stratifiedFolds, tableToXY, trainModel } from '../../src/models/train.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';
import { FEATURES, irisRows } from './iris.ts';

function irisXY() {
  const rows = irisRows();
  return tableToXY({ format: 'json', columns: [...FEATURES, 'species'], rows }, FEATURES, 'species');
}

describe('model files and ml.js algorithms', () => {
  test('every algorithm trains, round-trips through the file format and predicts iris well', () => {
    const data = irisXY();
    assert.deepEqual(data.labels, ['setosa', 'versicolor', 'virginica']);
    for (const name of Object.keys(ALGORITHMS)) {
      const params = name === 'random-forest' ? { nEstimators: 20 } : name === 'knn' ? { k: 5 } : {};
      const { file, cvAccuracy } = trainModel(name, params, data, FEATURES, 'species', 3);
      assert.ok(cvAccuracy > 0.7, `${name}: cv accuracy ${cvAccuracy}`);
      const text = JSON.stringify(file);
      const back = parseModelFile(text, name);
      assert.equal(back.formatVersion, MODEL_FORMAT_VERSION);
      assert.equal(back.algorithm, name);
      const model = new LoadedModel(back);
      const [p] = model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
      assert.equal(p?.label, 'setosa', name);
      if (p?.probabilities) {
        const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `${name}: probabilities sum to ${sum}`);
        assert.ok((p.probabilities.setosa ?? 0) > 0.5, `${name}: P(setosa) ${p.probabilities.setosa}`);
      }
      const [q] = model.predict([[6.7, 3.0, 5.2, 2.3]]);
      assert.equal(q?.label, 'virginica', name);
    }
  });

  test('the header is checked: wrong format, future version, unknown algorithm, bad input', () => {
    const data = irisXY();
    const file = trainModel('cart', {}, data, FEATURES, 'species', 2).file;
    assert.throws(
      () => parseModelFile('{', 'x'),
      (e) => isLockstepError(e, 'E_CODEC'),
    );
    assert.throws(() => parseModelFile(JSON.stringify({ ...file, format: 'pickle' }), 'x'), /"format" must be/);
    assert.throws(
      () => parseModelFile(JSON.stringify({ ...file, formatVersion: MODEL_FORMAT_VERSION + 1 }), 'x'),
      /newer than this lockstep reads/,
    );
    assert.throws(() => parseModelFile(JSON.stringify({ ...file, algorithm: 'svm' }), 'x'), /unknown algorithm "svm"/);
    assert.throws(() => createModelFile({} as never, { algorithm: 'knn', features: ['a'], labels: ['x'] }), /toJSON/);
    const model = new LoadedModel(file);
    assert.throws(
      () => model.predict([{ sepal_length: 5.1, sepal_width: '3.5', petal_length: 1.4, petal_width: 0.2 }]),
      /sepal_width: expected number, got string "3.5"/,
    );
    assert.throws(
      () => model.predict([{ sepal_length: 1, sepal_width: 1, petal_length: 1 }]),
      /petal_width: expected number/,
    );
    assert.throws(
      () => model.predict([{ sepal_length: 1, sepal_width: 1, petal_length: 1, petal_width: 1, color: 2 }]),
      /color: unknown field/,
    );
    assert.throws(() => model.predict([[1, 2, 3]]), /array of 4 numbers/);
  });

  test('a standardised model saves its scaler and applies it to every input', () => {
    const data = irisXY();
    const { file, cvAccuracy } = trainModel('knn', { k: 5 }, data, FEATURES, 'species', 5, true);
    assert.ok(cvAccuracy > 0.9);
    assert.equal(file.scaler?.mean.length, 4);
    assert.ok(Math.abs((file.scaler?.mean[0] ?? 0) - 5.843) < 0.01);
    const back = new LoadedModel(parseModelFile(JSON.stringify(file), 'x'));
    assert.equal(back.predict([[5.1, 3.5, 1.4, 0.2]])[0]?.label, 'setosa');
    assert.equal(back.predict([[6.7, 3.0, 5.2, 2.3]])[0]?.label, 'virginica');
    // the raw model alone (no scaler) sees unscaled inputs differently: the scaler really is applied
    const raw = new LoadedModel({ ...file, scaler: null });
    assert.notDeepEqual(
      raw.predict(data.X.slice(0, 150)).map((p) => p.label),
      back.predict(data.X.slice(0, 150)).map((p) => p.label),
    );
    assert.throws(
      () => parseModelFile(JSON.stringify({ ...file, scaler: { mean: [0], std: [1] } }), 'x'),
      /"scaler" must hold/,
    );
  });

  test('the compiled forest votes exactly like ml-random-forest', () => {
    const data = irisXY();
    const { file } = trainModel('random-forest', { nEstimators: 25, maxFeatures: 0.75 }, data, FEATURES, 'species', 2);
    const RF = createRequire(import.meta.url)('ml-random-forest').RandomForestClassifier;
    const reference = RF.load(structuredClone(file.model));
    const votes = compileForest(RF.load(structuredClone(file.model)));
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 500; i++) {
      const x = [4 + rand() * 4, 2 + rand() * 2.5, 1 + rand() * 6, rand() * 2.5];
      const trees: number[] = reference.predictionValues([x]).getRow(0);
      const expected = [0, 1, 2].map((c) => trees.filter((p) => p === c).length / trees.length);
      const got = votes([x], 3)[0] as number[];
      expected.forEach((e, c) => {
        assert.ok(Math.abs(e - (got[c] as number)) < 1e-12, `instance ${x}: ${got} vs ${expected}`);
      });
    }
  });

  test('stratified folds keep class proportions and cover every row once', () => {
    const y = [...new Array(30).fill(0), ...new Array(15).fill(1)];
    const folds = stratifiedFolds(y, 5);
    assert.deepEqual(
      folds.map((f) => f.filter((i) => y[i] === 1).length),
      [3, 3, 3, 3, 3],
    );
    assert.equal(new Set(folds.flat()).size, 45);
  });

  test('model URIs', () => {
    assert.deepEqual(parseModelUri('models:/iris@champion'), { name: 'iris', alias: 'champion' });
    assert.deepEqual(parseModelUri('models:/iris/3'), { name: 'iris', version: 3 });
    assert.deepEqual(parseModelUri('models:/iris'), { name: 'iris' });
    for (const bad of ['iris', 'models:/', 'models:/iris/x', 'models:/../x', 'models:/iris@']) {
      assert.throws(
        () => parseModelUri(bad),
        (e) => isLockstepError(e, 'E_INPUT'),
        bad,
      );
    }
  });

  test('CSV parsing handles quotes and typed cells', () => {
    const t = parseTable('a,b,c\n"x, ""y""",2,\r\n3,true,-1.5e2\n', 'csv', 't.csv');
    assert.deepEqual(t.rows, [
      { a: 'x, "y"', b: 2, c: null },
      { a: 3, b: true, c: -150 },
    ]);
  });
});

for (const backend of backends()) {
  describe(`model registry (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('versions, aliases that move, tags, URIs and loading', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const dir = tempDir();
      const session = await createSession(await backend.fresh(), {
        artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
      });
      const data = irisXY();
      const exp = await session.createExperiment('train');
      const run = await exp.run({ algo: 'knn' }, () => undefined);
      const knn = trainModel('knn', { k: 5 }, data, FEATURES, 'species', 3);
      const cart = trainModel('cart', {}, data, FEATURES, 'species', 3);
      const v1 = await session.models.register('iris', knn.file, {
        runId: run.id,
        experimentId: exp.id,
        metrics: { accuracy: knn.cvAccuracy },
        tags: { stage: 'demo' },
        aliases: ['champion'],
      });
      assert.equal(v1.version, 1);
      assert.deepEqual(v1.aliases, ['champion']);
      assert.equal(v1.runId, run.id);
      assert.deepEqual(v1.tags, { stage: 'demo' });
      assert.deepEqual(
        v1.inputSchema.features.map((f) => f.name),
        FEATURES,
      );
      const v2 = await session.models.register('iris', cart.file, { metrics: { accuracy: cart.cvAccuracy } });
      assert.equal(v2.version, 2);
      assert.equal((await session.models.resolve('models:/iris@champion')).version, 1);
      assert.equal((await session.models.resolve('models:/iris')).version, 2);
      await session.models.setAlias('iris', 'champion', 2);
      await session.models.setAlias('iris', 'candidate', 1);
      assert.equal((await session.models.resolve('models:/iris@champion')).version, 2);
      const versions = await session.models.versions('iris');
      assert.deepEqual(
        versions.map((v) => [v.version, v.algorithm, v.aliases]),
        [
          [2, 'cart', ['champion']],
          [1, 'knn', ['candidate']],
        ],
      );
      const [listed] = await session.models.list();
      assert.deepEqual(listed?.aliases, { candidate: 1, champion: 2 });
      assert.equal(listed?.latestVersion, 2);
      const loaded = await session.models.load('models:/iris/1');
      assert.equal(loaded.version.algorithm, 'knn');
      assert.equal(loaded.predict([[5.1, 3.5, 1.4, 0.2]])[0]?.label, 'setosa');
      await assert.rejects(session.models.resolve('models:/iris@prod'), /no alias "prod"/);
      await assert.rejects(session.models.resolve('models:/iris/9'), (e) => isLockstepError(e, 'E_NOT_FOUND'));
      await assert.rejects(session.models.resolve('models:/wine@champion'), /no registered model named "wine"/);
      await assert.rejects(session.models.setAlias('iris', '3', 1), (e) => isLockstepError(e, 'E_INPUT'));
      // the model file is a blob that gc keeps
      const report = await session.artifactHub.gc({ graceMs: 0 });
      assert.equal(report.removed.length, 0);
      assert.equal(report.referenced, 2);
      // deleting a version drops its aliases; gc then frees its file
      await session.models.deleteVersion('iris', 1);
      assert.deepEqual(
        (await session.models.versions('iris')).map((v) => v.version),
        [2],
      );
      await assert.rejects(session.models.resolve('models:/iris@candidate'), /no alias "candidate"/);
      assert.equal((await session.artifactHub.gc({ graceMs: 0 })).removed.length, 1);
      // numbering continues after the highest remaining version
      assert.equal((await session.models.register('iris', knn.file)).version, 3);
      await session.close();
    });

    test('versions of any format from stored files; models created, renamed and deleted as a whole', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const dir = tempDir();
      const session = await createSession(await backend.fresh(), {
        artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
      });
      const exp = await session.createExperiment('train');
      const run = await exp.run({ algo: 'x' }, () => undefined);
      const knn = trainModel('knn', { k: 5 }, irisXY(), FEATURES, 'species', 3);
      const mlmodel =
        'flavors:\n  python_function: {}\n  sklearn: {}\nsignature:\n  inputs: \'[{"type": "double", "name": "x1"}]\'\n';
      await session.artifacts.log(exp.id, run.id, 'm/MLmodel', new TextEncoder().encode(mlmodel));
      await session.artifacts.log(exp.id, run.id, 'm/model.pkl', new Uint8Array([1, 2, 3]));
      await session.artifacts.log(exp.id, run.id, 'ls/model.json', new TextEncoder().encode(JSON.stringify(knn.file)));
      await session.artifacts.log(exp.id, run.id, 'other/notes.txt', new TextEncoder().encode('hi'));
      const under = async (dir: string) =>
        (await session.artifacts.allFiles(run.id))
          .filter((f) => f.path.startsWith(`${dir}/`))
          .map((f) => ({ ...f, path: f.path.slice(dir.length + 1) }));

      // a model created empty, with a description and tags ("My Model": MLflow's names are free-form)
      const created = await session.models.createModel('My Model', { description: 'd', tags: { team: 'ml' } });
      assert.deepEqual([created.versions, created.description, created.tags], [0, 'd', { team: 'ml' }]);
      await assert.rejects(session.models.createModel('My Model'), (e) => isLockstepError(e, 'E_CONFLICT'));
      await assert.rejects(session.models.createModel('a/b'), (e) => isLockstepError(e, 'E_INPUT'));
      const ml = await session.models.registerFiles('My Model', {
        files: await under('m'),
        runId: run.id,
        source: 'runs:/x/m',
      });
      assert.deepEqual([ml.format, ml.algorithm, ml.source], ['mlflow', 'python_function, sklearn', 'runs:/x/m']);
      assert.deepEqual(ml.inputSchema.features, [{ name: 'x1', type: 'number' }]);
      const ls = await session.models.registerFiles('My Model', { files: await under('ls') });
      assert.deepEqual(
        [ls.format, ls.algorithm, ls.labels],
        ['lockstep', 'knn', ['setosa', 'versicolor', 'virginica']],
      );
      const other = await session.models.registerFiles('My Model', { files: await under('other') });
      assert.equal(other.format, 'files');
      const ext = await session.models.registerFiles('My Model', { files: [], source: 's3://bucket/model' });
      assert.equal(ext.format, 'external');

      // serve loads lockstep model files and refuses the rest, saying why and what to do instead
      assert.equal(
        (await session.models.load('models:/My Model/2')).predict([[5.1, 3.5, 1.4, 0.2]])[0]?.label,
        'setosa',
      );
      await assert.rejects(
        session.models.load('models:/My Model/1'),
        /is an MLflow model \(flavors: python_function, sklearn\); lockstep serve cannot serve it.*lockstep models download/,
      );
      await assert.rejects(session.models.load('models:/My Model/4'), /is a reference to s3:\/\/bucket\/model/);
      // every version's files can be downloaded, whatever the format
      const out = join(dir, 'dl');
      await session.models.download('models:/My Model/1', out);
      assert.deepEqual(readdirSync(out).sort(), ['MLmodel', 'model.pkl']);
      await assert.rejects(session.models.download('models:/My Model/4', join(dir, 'x')), /has no files in lockstep/);

      // descriptions, stages, tags, rename and delete
      assert.equal((await session.models.updateVersion('My Model', 1, { description: 'first' })).description, 'first');
      await session.models.updateVersion('My Model', 1, { stage: 'Production' });
      await session.models.updateVersion('My Model', 2, { stage: 'Production', archiveOthers: true });
      assert.deepEqual(
        (await session.models.versions('My Model')).map((v) => [v.version, v.stage]),
        [
          [4, 'None'],
          [3, 'None'],
          [2, 'Production'],
          [1, 'Archived'],
        ],
      );
      await session.models.setTag('My Model', 2, 'k', 'v');
      assert.equal(await session.models.deleteTag('My Model', 2, 'k'), true);
      assert.equal(await session.models.deleteTag('My Model', 2, 'k'), false);
      await session.models.setAlias('My Model', 'prod_1', 2);
      const renamed = await session.models.renameModel('My Model', 'my-model');
      assert.deepEqual([renamed.versions, renamed.aliases, renamed.tags], [4, { prod_1: 2 }, { team: 'ml' }]);
      assert.equal((await session.models.resolve('models:/my-model@prod_1')).format, 'lockstep');
      await assert.rejects(session.models.resolve('models:/My Model/1'), (e) => isLockstepError(e, 'E_NOT_FOUND'));
      for (const bad of ['latest', 'v2', '12', 'a b'])
        await assert.rejects(session.models.setAlias('my-model', bad, 1), (e) => isLockstepError(e, 'E_INPUT'));
      await session.models.deleteModel('my-model');
      assert.deepEqual(await session.models.list(), []);
      // the versions' files are no longer referenced by them: only the run's artifacts keep the blobs
      const report = await session.artifactHub.gc({ graceMs: 0 });
      assert.equal(report.removed.length, 0);
      await session.close();
    });
  });
}
