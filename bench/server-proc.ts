// The server side of the `server` benchmark, in its own process so that the
// load generator does not share its event loop: a fresh SQLite file, one
// experiment with one run per client, the tracking server on 127.0.0.1.
import { join } from 'node:path';
import { createSession } from '../src/index.ts';
import { startServer } from '../src/server/index.ts';
import { tempDir } from '../test/helpers.ts';

const clients = Number(process.argv[2] ?? 200);
const db = join(tempDir('lockstep-bench-server-'), 'bench.db');
const session = await createSession(db);
const exp = await session.createExperiment('load');
for (let i = 0; i < clients; i++) exp.addRun({ client: i });
await exp.persist();
const runIds = [...exp.runs].map((r) => r.id);
const server = await startServer({ session, port: 0, uiRoot: false });
process.stdout.write(`${JSON.stringify({ address: server.url, db, runIds, experimentId: exp.id })}\n`);
// the bench asks for this process's CPU time around each phase: CPU per point does not depend on what else runs
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});
process.once('SIGTERM', async () => {
  await server.close();
  await session.close();
  process.exit(0);
});
