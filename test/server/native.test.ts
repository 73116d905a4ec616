import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveLock } from '../../src/lock/records.ts';
import { createServer } from '../../src/server/index.ts';
import { backends, freshSession, sqlReader, tempDir } from '../helpers.ts';

for (const backend of backends()) {
  describe(`native API on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const session = await freshSession(backend);
    if (!session) return;
    after(() => session.close());
    const ui = tempDir();
    mkdirSync(join(ui, 'assets'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><div id=app>lockstep ui</div>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    const reader = await sqlReader(session);
    const app = await createServer({ session, uiRoot: ui, sql: reader });
    after(() => app.close());

    const exp = await session.createExperiment('iris', { description: 'flowers' });
    exp.addRuns({ model: ['knn', 'tree'], k: [1, 3] });
    let n = 0;
    await exp.execute((run) => {
      n++;
      run.fields.acc = n / 10;
      run.fields.when = new Date(Date.UTC(2024, 0, n));
      run.fields.big = 2n ** 60n;
      run.fields.weights = new Float32Array([n, 0.5]);
      run.fields.lookup = new Map([['a', n]]);
      run.fields.odd = Number.NaN;
      for (let s = 0; s < 50; s++) run.log('loss', 100 - s - n, s);
    });
    const ids = [...exp.runs].map((r) => r.id);

    const get = async (url: string) => {
      const res = await app.inject({ url });
      return { status: res.statusCode, body: res.json() };
    };

    it('lists and describes experiments', async () => {
      const list = await get('/api/v1/experiments?search=IR');
      assert.equal(list.status, 200);
      assert.equal(list.body.experiments.length, 1);
      assert.deepEqual(
        { ...list.body.experiments[0], createdAt: 0, updatedAt: 0 },
        { id: exp.id, name: 'iris', description: 'flowers', runs: 4, createdAt: 0, updatedAt: 0 },
      );
      assert.equal((await get('/api/v1/experiments?search=zzz')).body.experiments.length, 0);
      const one = await get('/api/v1/experiments/iris');
      const cols = one.body.experiment.columns.map((c: { name: string; role: string }) => `${c.role}:${c.name}`);
      assert.deepEqual(cols.slice(0, 3), ['param:model', 'param:k', 'field:acc']);
      const missing = await get('/api/v1/experiments/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'E_NOT_FOUND');
    });

    it('searches runs with filter, sort, paging and renders values for display', async () => {
      const res = await get(
        `/api/v1/experiments/iris/runs?filter=${encodeURIComponent("params.model = 'knn' or metrics.loss < 48")}&sort=acc&order=desc&limit=2&offset=1`,
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 3);
      assert.equal(res.body.limit, 2);
      const [r] = res.body.runs;
      assert.equal(r.acc, 0.2);
      assert.equal(r.big, String(2n ** 60n));
      assert.equal(r.when, '2024-01-02T00:00:00.000Z');
      assert.deepEqual(r.weights, [2, 0.5]);
      assert.deepEqual(r.lookup, { $map: [['a', 2]] });
      assert.equal(r.odd, 'NaN');
      assert.equal(r['metrics.loss'], 100 - 49 - 2);
      const uncounted = await get('/api/v1/experiments/iris/runs?count=false&limit=1');
      assert.equal(uncounted.body.total, null);
      assert.equal(uncounted.body.runs.length, 1);
      const narrow = await get('/api/v1/experiments/iris/runs?columns=acc&limit=1');
      assert.equal(narrow.body.runs[0].model, undefined);
      assert.equal(typeof narrow.body.runs[0].acc, 'number');
    });

    it('answers a malformed filter with 400 and its position', async () => {
      const res = await get(`/api/v1/experiments/iris/runs?filter=${encodeURIComponent('acc > and k = 1')}`);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'E_INPUT');
      assert.equal(res.body.error.position, 6);
      const bad = await get('/api/v1/experiments/iris/runs?limit=1000000');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'querystring.limit');
    });

    it('returns a run with its metric keys and tags', async () => {
      const res = await get(`/api/v1/experiments/iris/runs/${ids[0]}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.run.id, ids[0]);
      assert.deepEqual(res.body.run.params, { model: 'knn', k: 1 });
      assert.equal(res.body.run.status, 'done');
      assert.deepEqual(res.body.metricKeys, ['loss']);
      assert.equal(res.body.lock, null);
      assert.deepEqual(res.body.artifacts, []);
      const models = await get('/api/v1/models');
      assert.deepEqual(models.body, { models: [] });
      assert.equal((await get('/api/v1/models/nope')).status, 404);
      assert.equal((await get('/api/v1/experiments/iris/runs/nope')).status, 404);
    });

    it("joins a run's lock record through its lock_id field", async () => {
      const lock = {
        version: 1,
        id: 'lock-123',
        name: 'train',
        created: '2024-01-01T00:00:00.000Z',
        root: '/repo',
        dir: 'models/train',
        parent: null,
        config: { lr: 0.1 },
        repos: [],
        data: [],
        env: {},
        prevs: [],
      };
      await saveLock(
        session.store.driver,
        lock as unknown as Parameters<typeof saveLock>[1],
        '/repo/models/train',
        '/repo/models/train/run.lock',
      );
      const locked = await exp.run({ model: 'locked', k: 9 }, (r) => {
        r.fields.lock_id = 'lock-123';
      });
      const res = await get(`/api/v1/experiments/iris/runs/${locked.id}`);
      assert.equal(res.body.lock.id, 'lock-123');
      assert.deepEqual(res.body.lock.lock.config, { lr: 0.1 });
      await exp.deleteRuns([locked.id]);
    });

    it('serves metric history with step ranges and downsampling', async () => {
      const base = `/api/v1/experiments/iris/runs/${ids[1]}/metrics/loss`;
      const full = await get(base);
      assert.equal(full.body.total, 50);
      assert.equal(full.body.downsampled, false);
      assert.deepEqual(full.body.points[3].step, 3);
      assert.equal(full.body.points[3].value, 100 - 3 - 2);
      const range = await get(`${base}?minStep=10&maxStep=19`);
      assert.deepEqual(
        range.body.points.map((p: { step: number }) => p.step),
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      );
      const thin = await get(`${base}?maxPoints=10`);
      assert.equal(thin.body.downsampled, true);
      assert.ok(thin.body.points.length <= 10);
      assert.equal(thin.body.points[0].step, 0);
      assert.equal(thin.body.points.at(-1).step, 49);
      const many = await get(`/api/v1/experiments/iris/metrics?key=loss&runIds=${ids[0]},${ids[2]}&maxPoints=20`);
      assert.deepEqual(
        many.body.series.map((s: { runId: string }) => s.runId),
        [ids[0], ids[2]],
      );
      assert.ok(many.body.series[1].points.length <= 20);
    });

    it('answers read-only SQL with a row cap, and refuses writes', async () => {
      const sql = (body: object) => app.inject({ method: 'POST', url: '/api/v1/sql', payload: body });
      const ok = await sql({ sql: `SELECT run_id, acc FROM experiment_iris ORDER BY acc`, maxRows: 3 });
      assert.equal(ok.statusCode, 200);
      const body = ok.json();
      assert.deepEqual(body.columns, ['run_id', 'acc']);
      assert.equal(body.rows.length, 3);
      assert.equal(body.truncated, true);
      assert.equal(body.rows[0][1], 0.1);
      const write = await sql({ sql: 'DELETE FROM experiment_iris' });
      assert.equal(write.statusCode, 400);
      assert.equal(write.json().error.code, 'E_SQL');
      const rows = await session.query('SELECT COUNT(*) AS n FROM experiment_iris');
      assert.equal(Number(rows[0]?.n), 4);
      const broken = await sql({ sql: 'SELEC 1' });
      assert.equal(broken.statusCode, 400);
      const missing = await sql({ params: [] });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().error.field, 'body.sql');
    });

    it('stops a runaway query at the timeout without blocking the server', async () => {
      const quick = await createServer({ session, uiRoot: false, sql: { timeoutMs: 1500, ...reader } });
      try {
        const started = Date.now();
        const runaway = quick.inject({
          method: 'POST',
          url: '/api/v1/sql',
          payload: { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c' },
        });
        const health = await quick.inject({ url: '/api/v1/health' });
        assert.equal(health.statusCode, 200);
        const res = await runaway;
        assert.equal(res.statusCode, 400);
        assert.equal(res.json().error.code, 'E_SQL');
        assert.ok(Date.now() - started < 15_000);
      } finally {
        await quick.close();
      }
    });

    it('creates experiments and runs, logs fields and metrics, updates and deletes', async () => {
      const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
        app.inject({ method: 'POST', url, payload, headers });
      const created = await post('/api/v1/experiments', { name: 'remote', description: 'd' });
      assert.equal(created.statusCode, 201);
      assert.equal((await post('/api/v1/experiments', { name: 'remote' })).statusCode, 409);
      assert.equal((await post('/api/v1/experiments', { name: 'remote', ifExists: 'load' })).statusCode, 200);
      const runs = await post('/api/v1/experiments/remote/runs', {
        runs: [
          { id: 'r1', status: 'running', params: { lr: 0.1 }, fields: { when: { $codec: 'bad' } } },
          { id: 'r2', status: 'done', params: { lr: 0.2 }, metrics: [{ key: 'acc', value: 0.5 }] },
        ],
      });
      assert.equal(runs.statusCode, 400, runs.body);
      const ok = await post('/api/v1/experiments/remote/runs', {
        runs: [
          { id: 'r1', status: 'running', params: { lr: 0.1 }, startedAt: '2024-05-01T00:00:00Z' },
          { id: 'r2', status: 'done', params: { lr: 0.2 }, metrics: [{ key: 'acc', value: 0.5, step: 0 }] },
        ],
      });
      assert.deepEqual(ok.json(), { runIds: ['r1', 'r2'] });
      const pts = await post(
        '/api/v1/experiments/remote/runs/r1/metrics',
        {
          points: [
            { key: 'acc', value: 0.7, step: 1 },
            { key: 'acc', value: 'NaN', step: 2 },
          ],
        },
        { 'idempotency-key': 'k-1' },
      );
      assert.deepEqual(pts.json(), { stored: 2 });
      const again = await post(
        '/api/v1/experiments/remote/runs/r1/metrics',
        { points: [{ key: 'acc', value: 1 }] },
        { 'idempotency-key': 'k-1' },
      );
      assert.deepEqual(again.json(), { stored: 0, duplicate: true });
      const fields = await post('/api/v1/experiments/remote/runs/r1/fields', { fields: { score: 3, note: 'x' } });
      assert.deepEqual(fields.json().run.fields, { score: 3, note: 'x' });
      const patched = await app.inject({
        method: 'PATCH',
        url: '/api/v1/experiments/remote/runs/r1',
        payload: { status: 'done', endedAt: Date.UTC(2024, 4, 2) },
      });
      assert.equal(patched.json().run.status, 'done');
      assert.equal(patched.json().run.endedAt, '2024-05-02T00:00:00.000Z');
      const loaded = await session.loadExperiment('remote');
      const r1 = [...loaded.runs].find((r) => r.id === 'r1');
      assert.deepEqual(r1?.fields, { score: 3, note: 'x' });
      assert.deepEqual(r1?.params, { lr: 0.1 });
      const m = await loaded.metrics('r1', 'acc');
      assert.deepEqual(
        m.map((p) => p.step),
        [1, 2],
      );
      assert.equal(m[0]?.value, 0.7);
      assert.ok(
        m[1]?.value === null || Number.isNaN(m[1]?.value),
        'NaN is stored as NaN (PostgreSQL) or NULL (SQLite)',
      );
      const badStatus = await app.inject({
        method: 'PATCH',
        url: '/api/v1/experiments/remote/runs/r1',
        payload: { status: 'won' },
      });
      assert.equal(badStatus.statusCode, 400);
      assert.equal(badStatus.json().error.field, 'body.status');
      const del = await post('/api/v1/experiments/remote/runs/delete', { runIds: ['r2', 'zz'] });
      assert.deepEqual(del.json(), { deleted: 1 });
      const gone = await app.inject({ method: 'DELETE', url: '/api/v1/experiments/remote' });
      assert.deepEqual(gone.json(), { deleted: true });
      assert.equal(await session.store.getExperiment('remote'), undefined);
    });

    it('serves OpenAPI, Swagger UI and the web UI with SPA fallback', async () => {
      const doc = await get('/openapi.json');
      assert.equal(doc.status, 200);
      assert.ok(doc.body.openapi.startsWith('3.'));
      assert.ok(doc.body.paths['/api/v1/experiments/{name}/runs']);
      assert.ok(doc.body.paths['/api/v1/sql'].post.requestBody);
      const docs = await app.inject({ url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.body, /swagger/i);
      const index = await app.inject({ url: '/experiments/iris' });
      assert.equal(index.statusCode, 200);
      assert.match(index.body, /lockstep ui/);
      const asset = await app.inject({ url: '/assets/app.js' });
      assert.equal(asset.body, 'console.log(1)');
      assert.match(String(asset.headers['content-type']), /javascript/);
      const traversal = await app.inject({ url: '/assets/..%2F..%2F..%2Fetc%2Fpasswd' });
      assert.match(traversal.body, /lockstep ui/);
      const apiMiss = await get('/api/v1/nothing');
      assert.equal(apiMiss.status, 404);
      assert.equal(apiMiss.body.error.code, 'E_NOT_FOUND');
    });
  });
}
