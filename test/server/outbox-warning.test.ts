// A remote session whose server is down says so once, on stderr, when it
// starts buffering to the outbox, and how many writes wait when it closes
// (it once reported "done 1 failed 0" and nothing else).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createSession } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

const exec = promisify(execFile);

/** A URL on 127.0.0.1 where nothing listens. */
async function downUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return `http://127.0.0.1:${port}`;
}

test('buffering to the outbox is one warning when it starts and one count when the session closes', async () => {
  const url = await downUrl();
  const outbox = join(tempDir(), 'outbox.db');
  const said: string[] = [];
  const warn = (m: string) => said.push(m);
  const s = await createSession(url, { remote: { outbox, retries: 0, warn } });
  const exp = await s.createExperiment('trip');
  for (const lr of [0.1, 0.2]) await exp.run({ lr }, (r) => r.log('loss', lr));
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0] ?? '', new RegExp(`^lockstep: ${url} is unreachable \\(.+\\): writes wait in the outbox`));
  assert.ok(said[0]?.includes(outbox), said[0]);
  assert.match(said[0] ?? '', /lockstep sync/);
  await s.close();
  assert.equal(said.length, 2);
  assert.equal(said[1], `lockstep: 3 writes for ${url} wait in the outbox ${outbox}: send them with "lockstep sync"`);

  // the next session queues behind them, and says that instead
  const again = await createSession(url, { remote: { outbox, retries: 0, warn } });
  await (await again.createExperiment('trip2')).run({ a: 1 }, () => undefined);
  assert.match(said[2] ?? '', new RegExp(`^lockstep: 3 earlier writes for ${url} wait in the outbox`));
  await again.close();
  assert.match(said[3] ?? '', /^lockstep: 5 writes for .* wait in the outbox/);
});

test('by default the warning goes to stderr, once', async () => {
  const url = await downUrl();
  const outbox = join(tempDir(), 'outbox.db');
  const script = `
    import { createSession } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)};
    const s = await createSession(${JSON.stringify(url)}, { remote: { outbox: ${JSON.stringify(outbox)}, retries: 0 } });
    const exp = await s.createExperiment('trip');
    for (const lr of [0.1, 0.2, 0.3]) await exp.run({ lr }, (r) => { r.fields.x = lr; });
    await s.close();
  `;
  const { stderr } = await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 2, stderr);
  assert.match(lines[0] ?? '', /is unreachable/);
  assert.match(lines[1] ?? '', /^lockstep: 4 writes for .* wait in the outbox/);
});
