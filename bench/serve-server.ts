// The server side of the `serve` benchmark, in its own process so that the
// load generator does not share its event loop: a fresh SQLite registry with
// a 50-tree random forest on iris as iris@champion (the seed's reference
// model), served by createServeApp with request logging on (to /dev/null).
import { openSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { readTable } from '../src/artifacts/tabular.ts';
import { createSession } from '../src/index.ts';
import { tableToXY, trainModel } from '../src/models/train.ts';
import { createServeApp } from '../src/serve/app.ts';
import { BufferedLog } from '../src/serve/log.ts';
import { FEATURES, writeIrisCsv } from '../test/artifacts/iris.ts';
import { tempDir } from '../test/helpers.ts';

const dir = tempDir('lockstep-bench-serve-');
const session = await createSession(join(dir, 'bench.db'), {
  artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
});
const csv = writeIrisCsv(dir);
await session.registerDataset('iris', csv);
const { file, cvAccuracy } = trainModel(
  'random-forest',
  { nEstimators: 50 },
  tableToXY(await readTable(csv), FEATURES, 'species'),
  FEATURES,
  'species',
  3,
);
await session.models.register('iris', file, { metrics: { accuracy: cvAccuracy }, aliases: ['champion'] });
const app = await createServeApp({
  session,
  uri: 'models:/iris@champion',
  cacheSize: 10_000,
  // what `lockstep serve` does: one line per request, batched writes (here to /dev/null)
  logger: { level: 'info', stream: new BufferedLog(openSync('/dev/null', 'w')) },
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
// the baseline: bare Fastify answering the same POST with a constant, no model, no cache, no log
const bare = Fastify();
bare.post('/predict', async () => ({ label: 'setosa' }));
const baseline = await bare.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ address, baseline })}\n`);
// the bench asks for this process's CPU time around each case: CPU per request does not depend on what else runs
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMicros: user + system })}\n`);
});
process.once('SIGTERM', async () => {
  await app.close();
  await bare.close();
  await session.close();
});
