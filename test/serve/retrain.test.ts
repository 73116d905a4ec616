import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isLockstepError } from '../../src/index.ts';
import { createServeApp, type ServeApp } from '../../src/serve/app.ts';
import { irisRows, writeIrisCsv } from '../artifacts/iris.ts';
import { backends } from '../helpers.ts';
import { irisSession, SETOSA } from './fixture.ts';

async function finished(app: ServeApp, id: string) {
  await app.serving.jobs.idle();
  const res = await app.inject({ url: `/jobs/${id}` });
  assert.equal(res.statusCode, 200);
  return res.json();
}

async function startRetrain(app: ServeApp, payload: object) {
  const res = await app.inject({ method: 'POST', url: '/retrain', payload });
  assert.equal(res.statusCode, 202, res.body);
  const job = res.json();
  assert.equal(res.headers.location, `/jobs/${job.id}`);
  assert.ok(['queued', 'running'].includes(job.status));
  return job.id as string;
}

for (const backend of backends()) {
  describe(`serve: retrain and evaluate (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a retrain that beats the served version moves the alias and is served; one that does not is only registered', async (t) => {
      // the served version claims a low accuracy, so a retrain beats it
      const fx = await irisSession(backend, 0.5);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session } = fx;
      const app = await createServeApp({ session, uri: 'models:/iris@champion' });
      await app.inject({ method: 'POST', url: '/predict', payload: SETOSA });
      assert.equal((await app.inject({ url: '/cache' })).json().size, 1);

      const job = await finished(app, await startRetrain(app, {}));
      assert.equal(job.status, 'succeeded', job.error);
      assert.equal(job.result.newVersion, 2);
      assert.equal(job.result.promoted, true);
      assert.equal(job.result.movedAlias, 'champion');
      assert.equal(job.result.dataset, 'iris@1');
      assert.ok(job.result.newValue > 0.9);
      assert.equal((await app.inject({ url: '/health' })).json().version, 2);
      assert.equal((await app.inject({ url: '/cache' })).json().size, 0, 'the cache is emptied on a swap');
      assert.equal((await app.inject({ method: 'POST', url: '/predict', payload: SETOSA })).json().version, 2);
      assert.equal((await session.models.resolve('models:/iris@champion')).version, 2);
      // the retrain is a tracked run, linked to the version and to the dataset it used
      const v2 = await session.models.version('iris', 2);
      assert.equal(v2.runId, job.result.runId);
      assert.deepEqual(
        (await session.datasets.usedBy(v2.runId as string)).map((d) => d.name),
        ['iris'],
      );
      const runs = await session.query(`SELECT status, accuracy FROM experiment_retrain_iris`);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.status, 'done');

      // a weaker configuration does not beat version 2, so only a new version is registered
      const second = await finished(app, await startRetrain(app, { params: { k: 60 } }));
      assert.equal(second.status, 'succeeded', second.error);
      assert.equal(second.result.newVersion, 3);
      assert.equal(second.result.promoted, false);
      assert.equal(second.result.movedAlias, null);
      assert.equal((await app.inject({ url: '/health' })).json().version, 2);
      assert.equal((await session.models.resolve('models:/iris@champion')).version, 2);

      // unless forced
      const forced = await finished(app, await startRetrain(app, { force: true, algorithm: 'cart', params: {} }));
      assert.equal(forced.result.promoted, true);
      assert.equal(forced.result.forced, true);
      assert.equal((await app.inject({ url: '/health' })).json().version, 4);
      const models = (await app.inject({ url: '/models' })).json();
      assert.deepEqual(
        models.versions.map((v: { version: number; algorithm: string }) => `${v.version}:${v.algorithm}`),
        ['4:cart', '3:knn', '2:knn', '1:knn'],
      );
      assert.deepEqual(models.aliases, { champion: 4 });
      await app.close();
      await session.close();
    });

    test('a failing retrain leaves the served version untouched; unknown jobs are 404', async (t) => {
      const fx = await irisSession(backend, 0.5);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session, dir } = fx;
      const broken = join(dir, 'broken.csv');
      writeFileSync(broken, 'sepal_length,colour\n1,red\n');
      await session.registerDataset('broken', broken);
      const app = await createServeApp({ session, uri: 'models:/iris@champion' });
      const job = await finished(app, await startRetrain(app, { dataset: 'broken' }));
      assert.equal(job.status, 'failed');
      assert.match(job.error, /has no column "sepal_width"/);
      const missing = await app.inject({ method: 'POST', url: '/retrain', payload: { dataset: 'nope' } });
      assert.equal(missing.statusCode, 404);
      assert.match(missing.json().error.message, /no dataset named "nope"/);
      assert.equal((await app.inject({ url: '/health' })).json().version, 1);
      assert.equal((await session.models.versions('iris')).length, 1);
      assert.equal((await app.inject({ url: '/jobs/0000' })).statusCode, 404);
      const bad = await app.inject({ method: 'POST', url: '/retrain', payload: { folds: 'five' } });
      assert.equal(bad.statusCode, 422);
      assert.equal(bad.json().error.field, 'folds');
      await app.close();
      await session.close();
    });

    test('a pinned version keeps being served after a promotion', async (t) => {
      const fx = await irisSession(backend, 0.5);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris/1' });
      const job = await finished(app, await startRetrain(app, {}));
      assert.equal(job.result.promoted, true);
      assert.equal(job.result.movedAlias, null);
      assert.equal((await app.inject({ url: '/health' })).json().version, 1);
      await app.close();
      await fx.session.close();
    });

    test('evaluate scores the served version on a registered dataset', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session, dir } = fx;
      const rows = irisRows().filter((r) => r.species !== 'setosa');
      await session.registerDataset('iris-hard', writeIrisCsv(dir, rows, 'hard.csv'));
      const app = await createServeApp({ session, uri: 'models:/iris@champion' });
      const res = await app.inject({ method: 'POST', url: '/evaluate', payload: { dataset: 'iris' } });
      assert.equal(res.statusCode, 200, res.body);
      const m = res.json().metrics;
      assert.equal(m.n, 150);
      assert.ok(m.accuracy > 0.93 && m.accuracy <= 1);
      assert.equal(m.perClass.setosa.support, 50);
      assert.equal(m.confusion[0][0], 50);
      const hard = (await app.inject({ method: 'POST', url: '/evaluate', payload: { dataset: 'iris-hard' } })).json();
      assert.equal(hard.metrics.n, 100);
      assert.equal(hard.metrics.perClass.setosa.support, 0);
      assert.equal(hard.dataset.version, '1');
      const missing = await app.inject({ method: 'POST', url: '/evaluate', payload: { dataset: 'nope' } });
      assert.equal(missing.statusCode, 404);
      assert.match(missing.json().error.message, /no dataset named "nope"/);
      await app.close();
      await session.close();
    });

    test('a model that cannot be loaded is an error before anything listens', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const { session } = fx;
      await assert.rejects(
        createServeApp({ session, uri: 'models:/iris@prod' }),
        (e) => isLockstepError(e, 'E_NOT_FOUND') && /cannot load models:\/iris@prod: .*no alias "prod"/.test(e.message),
      );
      await assert.rejects(createServeApp({ session, uri: 'iris' }), (e) => isLockstepError(e, 'E_INPUT'));
      // a corrupt model file in the blob store
      const v = await session.models.version('iris', 1);
      const path = session.artifactHub.ctx.blobs.localPath?.(v.digest) as string;
      writeFileSync(path, '{"format":"pickle"}');
      await assert.rejects(
        createServeApp({ session, uri: 'models:/iris/1' }),
        (e) => isLockstepError(e, 'E_CODEC') && /not a valid lockstep model file/.test(e.message),
      );
      await session.close();
    });
  });
}
