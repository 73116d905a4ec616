import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { createServer } from '../../src/server/index.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';

for (const backend of backends()) {
  describe(`run artifacts through the API on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    const dir = tempDir();
    const session = await createSession(await backend.fresh(), {
      artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
    });
    after(() => session.close());
    const app = await createServer({ session, uiRoot: false });
    after(() => app.close());

    it('lists a run’s artifacts on its page and downloads them', async () => {
      const exp = await session.createExperiment('arts');
      const run = await exp.run({ a: 1 }, () => undefined);
      await session.artifacts.log(exp.id, run.id, 'model.json', new TextEncoder().encode('{"w":[1,2]}'));
      const page = (await app.inject({ url: `/api/v1/experiments/arts/runs/${run.id}` })).json();
      assert.equal(page.artifacts.length, 1);
      assert.equal(page.artifacts[0].path, 'model.json');
      assert.equal(page.artifacts[0].size, 11);
      const file = await app.inject({ url: page.artifacts[0].url });
      assert.equal(file.statusCode, 200);
      assert.equal(file.body, '{"w":[1,2]}');
      assert.match(String(file.headers['content-disposition']), /model\.json/);
      const missing = await app.inject({ url: `/api/v1/experiments/arts/runs/${run.id}/artifacts/nope.bin` });
      assert.equal(missing.statusCode, 404);
      const up = await app.inject({
        method: 'PUT',
        url: `/api/v1/experiments/arts/runs/${run.id}/artifacts/plots/loss.csv`,
        payload: Buffer.from('step,loss\n0,1\n'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(up.statusCode, 200, up.body);
      assert.equal(up.json().artifact.size, 14);
      const listed = (await app.inject({ url: `/api/v1/experiments/arts/runs/${run.id}` })).json();
      assert.deepEqual(
        listed.artifacts.map((a: { path: string }) => a.path),
        ['model.json', 'plots/loss.csv'],
      );
      const back = await app.inject({ url: `/api/v1/experiments/arts/runs/${run.id}/artifacts/plots/loss.csv` });
      assert.equal(back.body, 'step,loss\n0,1\n');
      const traversal = await app.inject({
        method: 'PUT',
        url: `/api/v1/experiments/arts/runs/${run.id}/artifacts/..%2F..%2Fescape`,
        payload: Buffer.from('x'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(traversal.statusCode, 400);
      const noRun = await app.inject({
        method: 'PUT',
        url: '/api/v1/experiments/arts/runs/nope/artifacts/a.txt',
        payload: Buffer.from('x'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(noRun.statusCode, 404);
      const top = (await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${run.id}` })).json();
      assert.deepEqual(top.files, [
        { path: 'model.json', is_dir: false, file_size: 11 },
        { path: 'plots', is_dir: true },
      ]);
      const inner = (await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${run.id}&path=plots` })).json();
      assert.deepEqual(inner.files, [{ path: 'plots/loss.csv', is_dir: false, file_size: 14 }]);
    });
  });
}
