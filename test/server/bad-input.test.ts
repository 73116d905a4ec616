// Bad input is a 4xx naming the field, on both backends, and stores nothing:
// JSON nested thousands deep, dates beyond what a Date holds, integers beyond
// 2^53, NUL characters and lone surrogates in names, keys and values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { backends, runCli } from '../helpers.ts';
import { serverSuite } from './suite.ts';

const nested = (n: number, leaf = '1') => `${'['.repeat(n)}${leaf}${']'.repeat(n)}`;

for (const backend of backends()) {
  describe(`bad input on ${backend.name}`, async () => {
    const suite = await serverSuite(backend);
    if (!suite) return;
    const { session, app } = suite;
    const exp = await session.createExperiment('bad');
    await exp.run({ k: 1 }, (r) => {
      r.fields.obj = { a: 1 };
    });
    const mlflowExp = (
      await app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'mlbad' } })
    ).json().experiment_id as string;
    const mlflowRun = (
      await app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/create',
        payload: { experiment_id: mlflowExp, start_time: 1 },
      })
    ).json().run.info.run_id as string;

    const count = async () => Number((await session.query('SELECT COUNT(*) AS n FROM experiment_bad'))[0]?.n);
    const post = (url: string, payload: string | object) =>
      app.inject({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/json' },
      });

    it('refuses JSON nested thousands deep with a 400 naming the field', async () => {
      for (const depth of [3000, 5000, 100_000]) {
        const res = await post(
          '/api/v1/experiments/bad/runs',
          `{"runs":[{"id":"deep${depth}","fields":{"x":${nested(depth)}}}]}`,
        );
        assert.equal(res.statusCode, 400, `${depth}: ${res.body.slice(0, 200)}`);
        assert.equal(res.json().error.code, 'E_INPUT');
        assert.match(res.json().error.field, /^body\.runs\.0\.fields\.x\./);
        assert.match(res.json().error.message, /nested deeper than 128 levels/);
        const ml = await post(
          '/api/2.0/mlflow/runs/log-batch',
          `{"run_id":"${mlflowRun}","params":[{"key":"p","value":"v","x":${nested(depth)}}]}`,
        );
        assert.equal(ml.statusCode, 400);
        assert.equal(ml.json().error_code, 'INVALID_PARAMETER_VALUE');
      }
      assert.equal(await count(), 1);
    });

    it('the library refuses values nested beyond 256 levels, and readers stay bounded', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 300; i++) deep = [deep];
      await assert.rejects(
        exp.run({ k: 2 }, (r) => {
          r.fields.deep = deep;
        }),
        (e) => isLockstepError(e, 'E_VALUE') && /nested deeper than 256 levels/.test(e.message),
      );
      // a value stored before the limit existed: every reader answers instead of running out of stack
      await session.query(
        backend.name === 'postgres'
          ? `UPDATE experiment_bad SET obj = '${nested(3000, '{}')}'::jsonb`
          : `UPDATE experiment_bad SET obj = '${nested(3000, '{}')}'`,
      );
      for (const url of ['/api/v1/experiments/bad/runs', '/api/v1/experiments/bad/records']) {
        const res = await app.inject({ url });
        assert.ok(res.statusCode < 500, `${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
      for (const args of [
        ['runs', 'bad'],
        ['export', 'bad', '--format', 'json'],
      ]) {
        const out = await runCli([...args, '--db', session.url]);
        assert.ok(out.code === 0 || out.code === 2, `${args.join(' ')}: ${out.code} ${out.stderr.slice(0, 300)}`);
        assert.doesNotMatch(out.stderr, /Maximum call stack|RangeError/);
      }
      await session.query(`UPDATE experiment_bad SET obj = NULL`);
    });

    it('refuses times a Date cannot hold and integers beyond 2^53, naming the field', async () => {
      const native = await post('/api/v1/experiments/bad/runs', { runs: [{ id: 't', startedAt: 8640000000000001 }] });
      assert.equal(native.statusCode, 400, native.body);
      assert.equal(native.json().error.field, 'body.runs.0.startedAt');
      const iso = await post('/api/v1/experiments/bad/runs', {
        runs: [{ id: 't', endedAt: '+999999-01-01T00:00:00Z' }],
      });
      assert.equal(iso.statusCode, 400, iso.body);
      const point = await post('/api/v1/experiments/bad/runs', {
        runs: [{ id: 't', metrics: [{ key: 'k', value: 1, timestamp: 9e15 }] }],
      });
      assert.equal(point.statusCode, 400, point.body);
      for (const [url, payload, field] of [
        ['/api/2.0/mlflow/runs/create', { experiment_id: mlflowExp, start_time: 8640000000000001 }, 'start_time'],
        ['/api/2.0/mlflow/runs/update', { run_id: mlflowRun, end_time: '9999999999999999999' }, 'end_time'],
        [
          '/api/2.0/mlflow/runs/log-metric',
          { run_id: mlflowRun, key: 'm', value: 1, timestamp: 1, step: '99999999999999999999999' },
          'step',
        ],
        [
          '/api/2.0/mlflow/runs/log-batch',
          { run_id: mlflowRun, metrics: [{ key: 'm', value: 1, timestamp: 8.7e15 }] },
          'timestamp',
        ],
      ] as const) {
        const res = await post(url, payload);
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.match(res.json().message, new RegExp(field));
      }
      assert.equal(await count(), 1);
      const [m] = await session.query("SELECT COUNT(*) AS n FROM metrics WHERE key = 'm'");
      assert.equal(Number(m?.n), 0);
    });

    it('refuses NUL characters and lone surrogates in names, keys and values', async () => {
      const cases: [string, object, RegExp][] = [
        ['/api/v1/experiments', { name: 'a\u0000b' }, /^body\.name$/],
        ['/api/v1/experiments', { name: 'x\udc00' }, /^body\.name$/],
        ['/api/v1/experiments/bad/runs', { runs: [{ id: 'r\u0000' }] }, /^body\.runs\.0\.id$/],
        ['/api/v1/experiments/bad/runs', { runs: [{ id: 's', params: { 'k\ud800': 1 } }] }, /params key/],
        ['/api/v1/experiments/bad/runs', { runs: [{ id: 's', params: { k: '\udc00' } }] }, /params\.k$/],
        ['/api/v1/experiments/bad/runs', { runs: [{ id: 's', fields: { f: ['ok', 'a\u0000'] } }] }, /fields\.f\.1$/],
        ['/api/2.0/mlflow/experiments/create', { name: 'n\u0000' }, /name/],
        ['/api/2.0/mlflow/runs/log-batch', { run_id: mlflowRun, params: [{ key: 'p', value: '\udc00' }] }, /value/],
        ['/api/2.0/mlflow/runs/set-tag', { run_id: mlflowRun, key: 't\u0000', value: 'v' }, /key/],
      ];
      for (const [url, payload, field] of cases) {
        const res = await post(url, payload);
        assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}: ${res.body}`);
        const body = res.json();
        assert.match(body.error?.field ?? body.message, field, JSON.stringify(body));
      }
      const get = await app.inject({ url: `/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent('\u0000')}` });
      assert.equal(get.statusCode, 400);
      assert.equal(await count(), 1);
      for (const e of await session.listExperiments()) assert.match(e.name, /^[\w-]+$/, 'no stray experiment was made');
    });

    it('the library keeps a NUL exactly and refuses a lone surrogate rather than change it', async () => {
      const run = await exp.run({ k: 3 }, (r) => {
        r.fields.nul = 'a\u0000b';
      });
      const loaded = await session.loadExperiment('bad');
      assert.equal(loaded.runs.toArray().find((r) => r.id === run.id)?.fields.nul, 'a\u0000b');
      for (const odd of ['x\udc00y', { deep: ['\ud800'] }, new Map([['k', '\udfff']]), { 'k\udc00': 1 }]) {
        await assert.rejects(
          exp.run({ k: 4 }, (r) => {
            r.fields.odd = odd;
          }),
          (e) => isLockstepError(e, 'E_VALUE') && /lone surrogate/.test(e.message),
          JSON.stringify(String(odd)),
        );
      }
    });
  });
}
