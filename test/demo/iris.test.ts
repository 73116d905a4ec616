import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { createSession } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

it('the iris demo trains the grid, stores it and prints a leaderboard', async () => {
  const db = join(tempDir(), 'iris.db');
  const { stdout, stderr } = await exec(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(root, 'examples', 'iris', 'main.ts')],
    { cwd: root, env: { ...process.env, LOCKSTEP_DB: db } },
  );
  assert.match(stdout, /iris: 15 runs done, 0 failed/);
  // through a pipe: a progress line once a second has passed, and the closing one (faster machines stay silent)
  if (Number(/in (\d+) ms/.exec(stdout)?.[1]) > 1500) {
    assert.match(stderr, /^lockstep: \d+\/15 runs, 0 failed, [\d.]+ runs\/s, ETA /m);
    assert.match(stderr, /^lockstep: 15\/15 runs, 0 failed, .* \(finished\)$/m);
  }
  assert.match(stdout, /Leaderboard/);
  assert.match(stdout, /lockstep runs iris --sort -accuracy/);

  const session = await createSession(db);
  try {
    const exp = await session.loadExperiment('iris');
    assert.equal(exp.runs.length, 15);
    const models = new Set(exp.runs.map((r) => r.params.model));
    assert.deepEqual(models, new Set(['knn', 'random_forest', 'logistic_regression', 'cart', 'naive_bayes']));
    for (const run of exp.runs) {
      assert.equal(run.status, 'done');
      const m = run.fields.confusion as number[][];
      assert.equal(m.length, 3);
      assert.equal(
        m.flat().reduce((a, b) => a + b, 0),
        150,
        'every flower is predicted exactly once across the folds',
      );
      const folds = await exp.metrics(run.id, 'fold_accuracy');
      assert.deepEqual(
        folds.map((p) => p.step),
        [0, 1, 2, 3, 4],
      );
      const mean = folds.reduce((s, p) => s + p.value, 0) / 5;
      assert.ok(Math.abs(mean - (run.fields.accuracy as number)) < 1e-12);
    }
    const [best] = await session.query('SELECT model, accuracy FROM experiment_iris ORDER BY accuracy DESC LIMIT 1');
    assert.ok((best?.accuracy as number) > 0.93, `best accuracy ${best?.accuracy}`);
    const [nb] = await session.query(
      `SELECT json_extract(confusion, '$[0][0]') AS setosa FROM experiment_iris WHERE model = 'knn' AND k = 5`,
    );
    assert.equal(nb?.setosa, 50, 'setosa is separable: k-NN gets all 50');
  } finally {
    await session.close();
  }
});
