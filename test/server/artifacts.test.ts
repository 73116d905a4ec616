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
    });
  });
}
