// What /retrain refuses before it answers 202, how retrains line up, and the API's 404 shape.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { algorithm } from '../../src/models/mljs.ts';
import { createServeApp, type ServeApp } from '../../src/serve/app.ts';
import { backends } from '../helpers.ts';
import { irisSession } from './fixture.ts';

async function finished(app: ServeApp, id: string) {
  await app.serving.jobs.idle();
  return (await app.inject({ url: `/jobs/${id}` })).json();
}

for (const backend of backends()) {
  describe(`serve: retrain requests are checked before 202 (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('bad params, algorithms and datasets are refused up front, naming the field', async (t) => {
      const fx = await irisSession(backend, 0.5);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion' });
      const post = (payload: object) => app.inject({ method: 'POST', url: '/retrain', payload });

      const five = await post({ params: { k: 'five' } });
      assert.equal(five.statusCode, 422, five.body);
      assert.equal(five.json().error.field, 'params.k');
      assert.match(five.json().error.message, /params\.k: expected an integer/);
      const zero = await post({ params: { k: 0 } });
      assert.equal(zero.statusCode, 422);
      assert.equal(zero.json().error.field, 'params.k');
      const typo = await post({ params: { kk: 3 } });
      assert.equal(typo.statusCode, 422);
      assert.equal(typo.json().error.field, 'params.kk');
      assert.match(typo.json().error.message, /unknown parameter.*knn takes k/);
      const trees = await post({ algorithm: 'random_forest', params: { nEstimators: 'many' } });
      assert.equal(trees.statusCode, 422);
      assert.equal(trees.json().error.field, 'params.nEstimators');

      const svm = await post({ algorithm: 'svm' });
      assert.equal(svm.statusCode, 422);
      assert.equal(svm.json().error.field, 'algorithm');
      assert.match(svm.json().error.message, /unknown algorithm "svm".*random-forest/);

      const nope = await post({ dataset: 'nope' });
      assert.equal(nope.statusCode, 404);
      assert.match(nope.json().error.message, /no dataset named "nope"/);
      const noVersion = await post({ dataset: 'iris', datasetVersion: '7' });
      assert.equal(noVersion.statusCode, 404);

      // nothing was started by any of them
      assert.equal((await fx.session.models.versions('iris')).length, 1);
      await app.close();
      await fx.session.close();
    });

    test('the demo spelling random_forest and the registry spelling random-forest are one algorithm', () => {
      assert.equal(algorithm('random_forest'), algorithm('random-forest'));
      assert.equal(algorithm('logistic_regression').name, 'logistic-regression');
    });

    test('retrains run one at a time: a second one queues until the first has finished', async (t) => {
      const fx = await irisSession(backend, 0.5);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion' });
      const [a, b] = await Promise.all([
        app.inject({
          method: 'POST',
          url: '/retrain',
          payload: { algorithm: 'random_forest', params: { nEstimators: 20 } },
        }),
        app.inject({ method: 'POST', url: '/retrain', payload: { params: { k: 3 } } }),
      ]);
      assert.equal(a?.statusCode, 202, a?.body);
      assert.equal(b?.statusCode, 202, b?.body);
      assert.equal(b?.json().status, 'queued');
      const first = await finished(app, a?.json().id);
      const second = await finished(app, b?.json().id);
      assert.equal(first.status, 'succeeded', first.error);
      assert.equal(second.status, 'succeeded', second.error);
      assert.equal(first.result.algorithm, 'random-forest');
      assert.ok(second.startedAt >= first.finishedAt, `${second.startedAt} >= ${first.finishedAt}`);
      await app.close();
      await fx.session.close();
    });

    test('equal accuracy is not worse (float noise aside); a forced retrain says forced', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion' });
      const served = (await fx.session.models.version('iris', 1)).metrics.accuracy as number;
      // the same configuration on the same data scores the same accuracy, up to the last bits of the sum
      const same = await finished(
        app,
        (await app.inject({ method: 'POST', url: '/retrain', payload: { folds: 3 } })).json().id,
      );
      assert.equal(same.status, 'succeeded', same.error);
      assert.ok(Math.abs(same.result.newValue - served) < 1e-9);
      assert.equal(same.result.promoted, true, JSON.stringify(same.result));
      assert.equal(same.result.forced, false);
      // a worse one is not promoted unless forced, and forcing one that wins anyway still says forced
      const worse = await finished(
        app,
        (
          await app.inject({ method: 'POST', url: '/retrain', payload: { algorithm: 'cart', params: { maxDepth: 1 } } })
        ).json().id,
      );
      assert.equal(worse.result.promoted, false);
      const forced = await finished(
        app,
        (await app.inject({ method: 'POST', url: '/retrain', payload: { force: true, folds: 3 } })).json().id,
      );
      assert.equal(forced.result.promoted, true);
      assert.equal(forced.result.forced, true);
      await app.close();
      await fx.session.close();
    });

    test('unknown routes answer in the API error shape', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion' });
      const res = await app.inject({ url: '/nope?x=1' });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), {
        error: { code: 'E_NOT_FOUND', message: 'no route GET /nope (see /docs for the API)' },
      });
      const wrongMethod = await app.inject({ method: 'DELETE', url: '/predict' });
      assert.equal(wrongMethod.statusCode, 404);
      assert.equal(wrongMethod.json().error.code, 'E_NOT_FOUND');
      await app.close();
      await fx.session.close();
    });
  });
}
