import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { createServer } from '../../src/server/index.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';

// MLflow's artifact proxy and the routes its web UI uses, without a socket; the real
// client drives them end to end in mlflow-client.test.ts.
for (const backend of backends()) {
  describe(`MLflow artifact proxy on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    const dir = tempDir();
    const session = await createSession(await backend.fresh(), {
      artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache'), maxBytes: 1000 },
    });
    after(() => session.close());
    const app = await createServer({ session, uiRoot: false });
    after(() => app.close());
    const api = async (method: 'GET' | 'POST', path: string, body?: object) => {
      const res = await app.inject({
        method,
        url: `/api/2.0/mlflow/${path}`,
        ...(method === 'GET' ? { query: body as Record<string, string> } : { payload: body ?? {} }),
      });
      return { status: res.statusCode, body: res.json() };
    };
    const created = await api('POST', 'runs/create', { experiment_id: '0', start_time: 1 });
    const runId = created.body.run.info.run_id as string;
    const root = `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts`;
    const files = async () => (await session.artifacts.allFiles(runId)).map((f) => `${f.path}:${f.size}`);

    it('stores, lists, downloads and deletes artifacts of a run in the default experiment', async () => {
      assert.equal(created.body.run.info.artifact_uri, `mlflow-artifacts:/0/${runId}/artifacts`);
      for (const [path, text] of [
        ['a.txt', 'alpha'],
        ['dir/b.txt', 'beta'],
        ['dir/sub/c.txt', 'gamma'],
      ] as const) {
        const put = await app.inject({
          method: 'PUT',
          url: `${root}/${path}`,
          payload: text,
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(put.statusCode, 200, put.body);
      }
      const list = await app.inject({
        url: '/api/2.0/mlflow-artifacts/artifacts',
        query: { path: `0/${runId}/artifacts/dir` },
      });
      assert.deepEqual(list.json(), {
        files: [
          { path: 'b.txt', is_dir: false, file_size: 4 },
          { path: 'sub', is_dir: true },
        ],
      });
      const tracked = await api('GET', 'artifacts/list', { run_id: runId, path: 'dir' });
      assert.deepEqual(
        tracked.body.files.map((f: { path: string }) => f.path),
        ['dir/b.txt', 'dir/sub'],
      );
      const get = await app.inject({ url: `${root}/dir/sub/c.txt` });
      assert.equal(get.statusCode, 200);
      assert.equal(get.body, 'gamma');
      assert.equal(get.headers['content-length'], '5');
      const del = await app.inject({ method: 'DELETE', url: `${root}/dir` });
      assert.equal(del.statusCode, 200, del.body);
      assert.deepEqual(await files(), ['a.txt:5']);
    });

    it('refuses paths that climb out, and paths that are not a run’s', async () => {
      // (inject resolves a literal ../ in the URL itself; the real client's %2e%2e goes through errors.py)
      for (const path of ['%2e%2e%2fx', '..%2fx', 'a%2f..%2f..%2fx', 'a%5Cb', 'x%23y']) {
        const res = await app.inject({ method: 'PUT', url: `${root}/${path}`, payload: 'x' });
        assert.equal(res.statusCode, 400, `${path}: ${res.body}`);
        assert.deepEqual(res.json(), { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' });
      }
      const listed = await app.inject({ url: '/api/2.0/mlflow-artifacts/artifacts', query: { path: '/etc' } });
      assert.equal(listed.json().message, 'Invalid path');
      const elsewhere = await app.inject({
        method: 'PUT',
        url: '/api/2.0/mlflow-artifacts/artifacts/free/form.txt',
        payload: 'x',
      });
      assert.equal(elsewhere.statusCode, 404);
      assert.equal(elsewhere.json().error_code, 'RESOURCE_DOES_NOT_EXIST');
      const otherExperiment = await app.inject({
        url: `/api/2.0/mlflow-artifacts/artifacts/123/${runId}/artifacts/a.txt`,
      });
      assert.equal(otherExperiment.statusCode, 404);
      const mpu = await app.inject({
        method: 'POST',
        url: `/api/2.0/mlflow-artifacts/mpu/create/0/${runId}/artifacts/x`,
        payload: {},
      });
      assert.equal(mpu.statusCode, 501);
      assert.match(mpu.json().message, /^Multipart upload is not supported/);
      assert.deepEqual(await files(), ['a.txt:5']);
    });

    it('keeps the size limit, with or without a declared length, and stores nothing over it', async () => {
      const declared = await app.inject({ method: 'PUT', url: `${root}/big.bin`, payload: Buffer.alloc(2000) });
      assert.equal(declared.statusCode, 413);
      assert.match(declared.json().message, /2000 bytes, over the limit of 1000/);
      const streamed = await app.inject({
        method: 'PUT',
        url: `${root}/big.bin`,
        payload: Readable.from([Buffer.alloc(600), Buffer.alloc(600)]),
      });
      assert.equal(streamed.statusCode, 400);
      assert.match(streamed.json().message, /at least 1200 bytes, over the limit of 1000/);
      assert.deepEqual(await files(), ['a.txt:5']);
      const fits = await app.inject({
        method: 'PUT',
        url: `${root}/ok.bin`,
        payload: Readable.from([Buffer.alloc(1000)]),
      });
      assert.equal(fits.statusCode, 200, fits.body);
    });

    it('samples metric histories of several runs for charts', async () => {
      const other = (await api('POST', 'runs/create', { experiment_id: '0', start_time: 2 })).body.run.info.run_id;
      const points = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i }));
      await api('POST', 'runs/log-batch', { run_id: runId, metrics: points(100) });
      await api('POST', 'runs/log-batch', { run_id: other, metrics: points(7) });
      const res = await app.inject({
        url: `/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${runId}&run_ids=${other}&metric_key=loss&max_results=10`,
      });
      assert.equal(res.statusCode, 200, res.body);
      const byRun = (id: string) =>
        res
          .json()
          .metrics.filter((m: { run_id: string }) => m.run_id === id)
          .map((m: { step: number }) => m.step);
      // ten evenly spaced steps of those that exist, plus each run's first and last
      assert.deepEqual(byRun(runId), [0, 6, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]);
      assert.deepEqual(byRun(other), [0, 6]);
      const range = await app.inject({
        url: `/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=loss&start_step=5`,
      });
      assert.equal(range.json().message, 'If either start step or end step are specified, both must be specified.');
    });
  });
}
