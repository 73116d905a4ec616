import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { startServer } from '../../src/server/index.ts';
import { backends, freshSession, runCli, tempDir } from '../helpers.ts';

const TOKEN = 'sync-token-0123456789';

const cli = (args: string[]) => runCli(args);

for (const backend of backends()) {
  describe(`lockstep sync on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const local = await freshSession(backend);
    if (!local) return;
    after(() => local.close());

    it('uploads the outbox once the server is back, and says when it is not', async () => {
      const outbox = join(tempDir(), 'outbox.db');
      const probe = await startServer({ session: local, port: 0, uiRoot: false });
      const url = probe.url;
      await probe.close();
      const offline = await createSession(url, { remote: { outbox, retries: 0 } });
      const exp = await offline.createExperiment('cli-sync');
      await exp.run({ a: 1 }, (r) => {
        r.log('x', 1);
        r.log('x', 2);
      });
      await offline.close();
      const status = await cli(['sync', '--outbox', outbox, '--status']);
      assert.match(status.stdout, new RegExp(`${url}: 2 write\\(s\\) waiting`));
      const down = await cli(['sync', '--outbox', outbox, '--token', TOKEN]);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /could not reach/);
      const server = await startServer({
        session: local,
        port: Number(new URL(url).port),
        tokens: { write: [TOKEN] },
        uiRoot: false,
      });
      try {
        const noToken = await cli(['sync', '--outbox', outbox]);
        assert.equal(noToken.code, 2, noToken.stderr);
        assert.equal(await local.store.getExperiment('cli-sync'), undefined, 'nothing written without a token');
        const up = await cli(['sync', '--outbox', outbox, '--token', TOKEN]);
        assert.equal(up.code, 0, up.stderr);
        assert.match(up.stdout, /sent 2/);
        const stored = await local.loadExperiment('cli-sync');
        assert.equal(stored.runs.length, 1);
        assert.equal((await stored.metrics(stored.runs.first().id, 'x')).length, 2);
        const again = await cli(['sync', '--outbox', outbox, '--token', TOKEN]);
        assert.match(again.stdout, /nothing to sync/);
      } finally {
        await server.close();
      }
    });
  });
}
