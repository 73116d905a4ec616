import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createServeApp } from '../../src/serve/app.ts';
import { backends } from '../helpers.ts';
import { irisSession, SETOSA } from './fixture.ts';

for (const backend of backends()) {
  describe(`serve: predict, cache, docs (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('predicts one instance or a batch, with probabilities, version and cache flags', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const lines: Record<string, unknown>[] = [];
      const stream = new Writable({
        write(chunk, _enc, cb) {
          for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
          cb();
        },
      });
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion', logger: { stream } });
      const first = await app.inject({ method: 'POST', url: '/predict', payload: SETOSA });
      assert.equal(first.statusCode, 200);
      const a = first.json();
      assert.equal(a.model, 'iris');
      assert.equal(a.version, 1);
      assert.equal(a.cached, false);
      assert.equal(a.prediction.label, 'setosa');
      assert.equal(a.prediction.probabilities.setosa, 1);
      assert.deepEqual(Object.keys(a.prediction.probabilities), ['setosa', 'versicolor', 'virginica']);
      const second = (await app.inject({ method: 'POST', url: '/predict', payload: SETOSA })).json();
      assert.equal(second.cached, true);
      assert.deepEqual(second.prediction, a.prediction);

      const batch = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: { instances: [SETOSA, [6.7, 3.0, 5.2, 2.3]] },
      });
      const b = batch.json();
      assert.equal(b.cached, false);
      assert.deepEqual(
        b.predictions.map((p: { label: string; cached: boolean }) => [p.label, p.cached]),
        [
          ['setosa', true],
          ['virginica', false],
        ],
      );
      let stats = (await app.inject({ url: '/cache' })).json();
      assert.deepEqual([stats.size, stats.hits, stats.misses], [2, 2, 2]);
      const cleared = (await app.inject({ method: 'DELETE', url: '/cache' })).json();
      assert.equal(cleared.cleared, 2);
      assert.equal(cleared.size, 0);
      assert.equal((await app.inject({ method: 'POST', url: '/predict', payload: SETOSA })).json().cached, false);
      stats = (await app.inject({ url: '/cache' })).json();
      assert.deepEqual([stats.size, stats.hits, stats.misses], [1, 2, 3]);

      // one structured log line per request, with the cache outcome of predictions
      const requests = lines.filter((l) => l.msg === 'request');
      assert.equal(requests.length, 7);
      assert.deepEqual(
        requests.map((l) => [l.method, l.url, l.status, l.cache ?? null]),
        [
          ['POST', '/predict', 200, 'miss'],
          ['POST', '/predict', 200, 'hit'],
          ['POST', '/predict', 200, 'partial'],
          ['GET', '/cache', 200, null],
          ['DELETE', '/cache', 200, null],
          ['POST', '/predict', 200, 'miss'],
          ['GET', '/cache', 200, null],
        ],
      );
      assert.equal(typeof requests[0]?.ms, 'number');
      await app.close();
      await fx.session.close();
    });

    test('schema violations are 422 naming the field and the expected type', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris/1' });
      const cases: [unknown, string, string][] = [
        [{ ...SETOSA, sepal_width: '3.5' }, 'sepal_width', 'number'],
        [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4 }, 'petal_width', 'number'],
        [{ ...SETOSA, colour: 'blue' }, 'colour', 'no such field'],
        [{ instances: [] }, 'instances', 'an array of 1 to 1000 instances'],
        [{ instances: [SETOSA, { ...SETOSA, petal_width: null }] }, 'instances[1].petal_width', 'number'],
        [
          { instances: [[1, 2, 3]] },
          'instances[0]',
          'an array of 4 numbers (sepal_length, sepal_width, petal_length, petal_width)',
        ],
        [[1, 2, 3, 4], '', ''],
      ];
      for (const [payload, field, expected] of cases) {
        const res = await app.inject({ method: 'POST', url: '/predict', payload: payload as object });
        if (field === '') {
          // a bare array is one instance in feature order
          assert.equal(res.statusCode, 200);
          continue;
        }
        assert.equal(res.statusCode, 422, JSON.stringify(payload));
        const err = res.json().error;
        assert.equal(err.code, 'E_INPUT');
        assert.equal(err.field, field);
        assert.equal(err.expected, expected);
        assert.match(err.message, new RegExp(field.replace(/[[\]().]/g, '\\$&')));
      }
      const text = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: '{bad json',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(text.statusCode, 400);
      await app.close();
      await fx.session.close();
    });

    test('health, models, OpenAPI and Swagger UI', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const app = await createServeApp({ session: fx.session, uri: 'models:/iris@champion' });
      const health = (await app.inject({ url: '/health' })).json();
      assert.equal(health.status, 'ok');
      assert.equal(health.version, 1);
      const models = (await app.inject({ url: '/models' })).json();
      assert.equal(models.serving, 1);
      assert.deepEqual(models.aliases, { champion: 1 });
      assert.equal(models.versions[0].algorithm, 'knn');
      assert.ok(models.versions[0].metrics.accuracy > 0.9);
      const openapi = (await app.inject({ url: '/openapi.json' })).json();
      for (const path of ['/predict', '/cache', '/retrain', '/jobs/{id}', '/evaluate', '/models', '/health']) {
        assert.ok(openapi.paths[path], `${path} documented`);
      }
      const body = openapi.paths['/predict'].post.requestBody.content['application/json'].schema;
      assert.match(JSON.stringify(body), /petal_width/);
      const docs = await app.inject({ url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /swagger/i);
      await app.close();
      await fx.session.close();
    });
  });
}
