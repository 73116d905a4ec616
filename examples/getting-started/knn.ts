// docs/getting-started.md walks through this file: a session, an experiment,
// a grid of runs, two steps, and SQL over the results.
//   npx tsx examples/getting-started/knn.ts      (writes ./results.db)
import { createSession, type Run } from 'lockstep';

const session = await createSession('./results.db');
const exp = await session.createExperiment('knn', { ifExists: 'replace' });
exp.addRuns({ k: [1, 3, 5], weights: ['uniform', 'distance'] }); // 6 runs: the Cartesian product

function train(run: Run) {
  // vars: scratch space for the next steps, never stored
  run.vars.model = { k: run.params.k, weights: run.params.weights };
}

function evaluate(run: Run) {
  const k = run.params.k as number;
  run.fields.accuracy = 0.9 + k / 100 + (run.params.weights === 'distance' ? 0.005 : 0); // a REAL column
  run.fields.confusion = [
    [50, 0],
    [k, 50 - k],
  ]; // JSON, readable by SQL
  for (let epoch = 0; epoch < 10; epoch++) run.log('loss', 1 / (epoch + k), epoch); // a metric series
}

const summary = await exp.execute([train, evaluate], { config: { data: 'iris' } });
console.log(`${summary.done} runs done, ${summary.failed} failed`);

// a single inline run
await exp.run({ k: 7, weights: 'uniform' }, (run) => {
  run.fields.accuracy = 0.97;
});

const best = await session.query('SELECT k, weights, accuracy FROM experiment_knn ORDER BY accuracy DESC LIMIT 3');
console.table(best);
await session.close();
