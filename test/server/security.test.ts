import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createServer, startServer } from '../../src/server/index.ts';
import { backends, freshSession, sqlReader } from '../helpers.ts';

const READ = 'read-token-0123456789';
const WRITE = 'write-token-0123456789';

for (const backend of backends()) {
  describe(`server security on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const session = await freshSession(backend);
    if (!session) return;
    after(() => session.close());
    const exp = await session.createExperiment('secret');
    const run = await exp.run({ k: 1 }, (r) => {
      r.fields.acc = 0.5;
    });
    const app = await createServer({
      session,
      tokens: { read: [READ], write: [WRITE] },
      uiRoot: false,
      sql: await sqlReader(session),
    });
    after(() => app.close());
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });

    const reads: { method: 'GET' | 'POST'; url: string; payload?: object }[] = [
      { method: 'GET', url: '/api/v1/experiments' },
      { method: 'GET', url: '/api/v1/experiments/secret' },
      { method: 'GET', url: '/api/v1/experiments/secret/runs' },
      { method: 'GET', url: `/api/v1/experiments/secret/runs/${run.id}` },
      { method: 'GET', url: '/api/v1/experiments/secret/metric-keys' },
      { method: 'POST', url: '/api/v1/sql', payload: { sql: 'SELECT * FROM experiment_secret' } },
      { method: 'GET', url: `/api/2.0/mlflow/runs/get?run_id=${run.id}` },
      { method: 'POST', url: '/api/2.0/mlflow/experiments/search', payload: {} },
      { method: 'POST', url: '/api/2.0/mlflow/runs/search', payload: { experiment_ids: [exp.id] } },
      { method: 'GET', url: '/openapi.json' },
      { method: 'GET', url: '/docs/' },
      { method: 'GET', url: '/' },
    ];
    const writes: { method: 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: object }[] = [
      { method: 'POST', url: '/api/v1/experiments', payload: { name: 'evil' } },
      { method: 'PATCH', url: '/api/v1/experiments/secret', payload: { description: 'evil' } },
      { method: 'POST', url: '/api/v1/experiments/secret/runs', payload: { runs: [{ id: 'evil' }] } },
      { method: 'POST', url: `/api/v1/experiments/secret/runs/${run.id}/fields`, payload: { fields: { acc: 0 } } },
      {
        method: 'POST',
        url: `/api/v1/experiments/secret/runs/${run.id}/metrics`,
        payload: { points: [{ key: 'x', value: 1 }] },
      },
      { method: 'DELETE', url: `/api/v1/experiments/secret/runs/${run.id}` },
      { method: 'DELETE', url: '/api/v1/experiments/secret' },
      { method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'evil' } },
      {
        method: 'POST',
        url: '/api/2.0/mlflow/runs/log-batch',
        payload: { run_id: run.id, params: [{ key: 'p', value: 'v' }] },
      },
      { method: 'POST', url: '/ajax-api/2.0/mlflow/runs/set-tag', payload: { run_id: run.id, key: 'a', value: 'b' } },
    ];

    const unchanged = async () => {
      const [row] = await session.query('SELECT COUNT(*) AS n FROM experiment_secret');
      assert.equal(Number(row?.n), 1);
      const names = (await session.listExperiments()).map((e) => e.name);
      assert.deepEqual(names, ['secret']);
      const loaded = await session.loadExperiment('secret');
      assert.equal(loaded.runs.first().fields.acc, 0.5);
      assert.equal(loaded.description, null);
      assert.deepEqual(await loaded.metrics(run.id), []);
    };

    it('refuses every request without a valid token, reading or writing', async () => {
      for (const headers of [
        {},
        auth('wrong-token-123456'),
        { authorization: 'Basic abc' },
        { cookie: 'lockstep_token=nope' },
      ]) {
        for (const r of [...reads, ...writes]) {
          const res = await app.inject({ ...r, headers });
          assert.equal(res.statusCode, 401, `${r.method} ${r.url} with ${JSON.stringify(headers)}`);
          assert.doesNotMatch(res.body, /acc|secret-run|0\.5/);
        }
      }
      await unchanged();
      const health = await app.inject({ url: '/api/v1/health' });
      assert.equal(health.json().auth, 'token');
    });

    it('lets a read-only token read but not write', async () => {
      for (const r of reads) {
        const res = await app.inject({ ...r, headers: auth(READ) });
        assert.equal(res.statusCode, 200, `${r.method} ${r.url}: ${res.body.slice(0, 200)}`);
      }
      for (const r of writes) {
        const res = await app.inject({ ...r, headers: auth(READ) });
        assert.equal(res.statusCode, 403, `${r.method} ${r.url}`);
      }
      await unchanged();
      const mlflow = await app.inject({ ...(writes[8] as (typeof writes)[number]), headers: auth(READ) });
      assert.equal(mlflow.json().error_code, 'PERMISSION_DENIED');
    });

    it('lets a read-write token write', async () => {
      const res = await app.inject({ ...(writes[0] as (typeof writes)[number]), headers: auth(WRITE) });
      assert.equal(res.statusCode, 201);
      assert.ok(await session.store.getExperiment('evil'));
    });

    it('turns a token in the query string into a cookie for the UI', async () => {
      const first = await app.inject({ url: `/api/v1/experiments?token=${READ}` });
      assert.equal(first.statusCode, 200);
      const cookie = String(first.headers['set-cookie']);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      const next = await app.inject({
        url: '/api/v1/experiments',
        headers: { cookie: cookie.split(';')[0] as string },
      });
      assert.equal(next.statusCode, 200);
    });

    it('refuses to listen beyond loopback without a token', async () => {
      await assert.rejects(startServer({ session, host: '0.0.0.0', port: 0 }), /needs a token/);
      const s = await startServer({ session, host: '127.0.0.1', port: 0, uiRoot: false });
      const res = await fetch(`${s.url}/api/v1/experiments`);
      assert.equal(res.status, 200);
      const port = Number(new URL(s.url).port);
      await assert.rejects(startServer({ session, port, uiRoot: false }), /already in use/);
      await s.close();
    });

    it('limits bodies, names malformed fields and sends no CORS headers unless configured', async () => {
      const small = await createServer({ session, bodyLimit: 2048, uiRoot: false });
      const big = await small.inject({
        method: 'POST',
        url: '/api/v1/sql',
        payload: { sql: `SELECT '${'x'.repeat(5000)}'` },
      });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().error.code, 'E_TOO_LARGE');
      const broken = await small.inject({
        method: 'POST',
        url: '/api/v1/experiments',
        payload: '{"name": ',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(broken.statusCode, 400);
      assert.equal(broken.json().error.field, 'body');
      const wrongType = await small.inject({ method: 'POST', url: '/api/v1/experiments', payload: { name: 5 } });
      assert.equal(wrongType.statusCode, 400);
      assert.equal(wrongType.json().error.field, 'body.name');
      const nested = await small.inject({
        method: 'POST',
        url: '/api/v1/experiments/secret/runs',
        payload: { runs: [{ id: 'a', metrics: [{ key: 'k', value: 'high' }] }] },
      });
      assert.equal(nested.json().error.field, 'body.runs.0.metrics.0.value');
      const plain = await small.inject({ url: '/api/v1/experiments', headers: { origin: 'https://evil.example' } });
      assert.equal(plain.headers['access-control-allow-origin'], undefined);
      await small.close();
      const cors = await createServer({ session, corsOrigins: ['https://ok.example'], uiRoot: false });
      const allowed = await cors.inject({ url: '/api/v1/experiments', headers: { origin: 'https://ok.example' } });
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://ok.example');
      const other = await cors.inject({ url: '/api/v1/experiments', headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
      const preflight = await cors.inject({
        method: 'OPTIONS',
        url: '/api/v1/sql',
        headers: { origin: 'https://ok.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.statusCode, 204);
      await cors.close();
    });
  });
}
