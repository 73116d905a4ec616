import assert from 'node:assert/strict';
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
  });
}
