// The iris demo: a grid of ml.js classifiers, each evaluated with stratified
// 5-fold cross-validation, tracked into ./lockstep.db (or $LOCKSTEP_DB).
//   npm run demo
import { createSession } from 'lockstep';
import { registerChampion } from './register.ts';
import { crossValidate, loadData } from './steps.ts';

const session = await createSession();
try {
  const exp = await session.createExperiment('iris', {
    description: 'ml.js classifiers on iris, stratified 5-fold cross-validation',
    ifExists: 'replace',
  });
  exp.addRuns({ model: ['knn'], k: [1, 3, 5, 7, 9, 15] });
  exp.addRuns({ model: ['random_forest'], trees: [10, 50, 100] });
  exp.addRuns({ model: ['logistic_regression'], lr: [0.001, 0.005] });
  exp.addRuns({ model: ['cart'], depth: [2, 3, 5] });
  exp.addRun({ model: 'naive_bayes' });

  const summary = await exp.execute([loadData, crossValidate], { config: { folds: 5, seed: 42 } });
  console.log(`iris: ${summary.done} runs done, ${summary.failed} failed in ${Math.round(summary.durationMs)} ms`);
  for (const f of summary.failures) console.log(`  failed ${JSON.stringify(f.params)}: ${f.message}`);

  const rows = await session.query(
    `SELECT model, k, trees, lr, depth, accuracy, accuracy_std, macro_f1
       FROM experiment_iris WHERE status = 'done'
      ORDER BY accuracy DESC, macro_f1 DESC`,
  );
  console.log('\nLeaderboard (mean accuracy over 5 folds)\n');
  printTable(rows);
  const best = rows[0];
  if (best) {
    const v = await registerChampion(session, best);
    console.log(`\nRegistered the best (${best.model}) as models:/iris/${v.version}, alias champion. Serve it:
  npx lockstep serve models:/iris@champion`);
  }
  console.log(`
Stored in ${session.url}. Query it:
  npx lockstep runs iris --sort -accuracy
  npx lockstep show iris <run id prefix>
  npx lockstep sql "SELECT model, AVG(accuracy) FROM experiment_iris GROUP BY model"`);
} finally {
  await session.close();
}

function printTable(rows: Record<string, unknown>[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] as number)).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}
