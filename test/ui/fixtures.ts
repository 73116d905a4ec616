// Synthetic experiments for the scale test and the UI benchmark: many runs
// with a given number of columns (params and scalar fields) and one metric.
import type { Session } from '../../src/index.ts';

/**
 * Adds an experiment of `runs` runs with `columns` columns: 4 params (a grid
 * that multiplies out to `runs`) and `columns - 4` numeric or string fields.
 */
export async function syntheticExperiment(session: Session, name: string, runs: number, columns = 20): Promise<void> {
  const exp = await session.createExperiment(name, { description: `${runs} synthetic runs`, ifExists: 'replace' });
  if (runs % 40 !== 0)
    throw new Error('syntheticExperiment: runs must be a multiple of 40 (the grid of the other params)');
  const seeds = Array.from({ length: runs / 40 }, (_, i) => i);
  exp.addRuns({ model: ['mlp', 'gbm'], lr: [0.1, 0.01, 0.001, 0.0001], depth: [2, 4, 6, 8, 10], seed: seeds });
  const fields = columns - 4;
  await exp.execute(
    (run) => {
      const seed = run.params.seed as number;
      const depth = run.params.depth as number;
      for (let f = 0; f < fields; f++) {
        run.fields[`f${String(f).padStart(2, '0')}`] =
          f % 5 === 4 ? `tag${(seed + f) % 7}` : Math.sin(seed * 12.9898 + depth * 78.233 + f) * 0.5 + 0.5;
      }
      if (seed < 3) for (let s = 0; s < 20; s++) run.log('loss', 1 / (s + 1) + depth / 100, s);
    },
    { batchSize: 5000 },
  );
}
