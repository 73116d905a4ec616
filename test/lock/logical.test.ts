// Logical runs from the user's side: one current run per output directory, and diagnostics added later.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { createSession } from '../../src/session.ts';
import { lockstepIn, makeProject } from './fixtures.ts';

const TRAIN = `import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ lr: z.number().default(0.1), save_dir: z.string().default('results/train') });
await cli(Config, (cfg, { run }) => {
  mkdirSync(cfg.save_dir, { recursive: true });
  writeFileSync(cfg.save_dir + '/preds.json', JSON.stringify([cfg.lr, 1 - cfg.lr]));
  run.log('loss', 1 - cfg.lr, 1);
  return { trained: cfg.lr };
});
`;

// FlexLock's mlflow_lock pattern: a later script reads a finished run's outputs and logs more, without training again
const DIAGNOSE = `import { readFileSync } from 'node:fs';
import { continueRun } from 'lockstep';
const version = Number(process.argv[2]);
await continueRun('results/train', (run) => {
  const preds = JSON.parse(readFileSync('results/train/preds.json', 'utf8'));
  run.fields.f1 = preds[0] * version;
  run.log('calibration', version, 0);
});
`;

describe('logical runs', () => {
  test('re-locking a directory makes its newest run the current one; continueRun adds diagnostics to it', async () => {
    const root = makeProject({ 'train.ts': TRAIN, 'diagnose.ts': DIAGNOSE });
    for (const lr of ['0.1', '0.2', '0.3']) {
      const r = lockstepIn(root, 'run', 'train.ts', '-o', `lr=${lr}`);
      assert.equal(r.status, 0, r.stderr);
    }
    const lockBefore = parse(readFileSync(join(root, 'results/train/run.lock'), 'utf8'));
    assert.equal(lockBefore.config.lr, 0.3);
    assert.equal(lockBefore.run.experiment, 'train');

    const active = lockstepIn(root, 'runs', 'train', '--filter', "tags.`lockstep.lock` = 'active'", '--json');
    assert.equal(active.status, 0, active.stderr);
    assert.deepEqual(
      JSON.parse(active.stdout).map((r: { lr: number }) => r.lr),
      [0.3],
    );
    const s = await createSession(join(root, 'l.db'));
    try {
      const exp = await s.loadExperiment('train');
      const byLr = new Map(exp.runs.map((r) => [r.params.lr, r]));
      const tags = await s.query('SELECT run_id, key, value FROM run_tags ORDER BY run_id, key');
      const tagsOf = (lr: number) =>
        Object.fromEntries(tags.filter((t) => t.run_id === byLr.get(lr)?.id).map((t) => [t.key, t.value]));
      const newest = byLr.get(0.3)?.id;
      assert.deepEqual(tagsOf(0.1), { 'lockstep.lock': 'superseded', 'lockstep.superseded_by': byLr.get(0.2)?.id });
      assert.deepEqual(tagsOf(0.2), {
        'lockstep.lock': 'superseded',
        'lockstep.superseded_by': newest,
        'lockstep.supersedes': byLr.get(0.1)?.id,
      });
      assert.deepEqual(tagsOf(0.3), { 'lockstep.lock': 'active', 'lockstep.supersedes': byLr.get(0.2)?.id });
    } finally {
      await s.close();
    }

    // diagnostics, twice: the same run gains fields and a series; the lock stays the training's
    for (const version of ['1', '2']) {
      const d = lockstepIn(root, 'run', 'diagnose.ts', version);
      assert.equal(d.status, 0, d.stderr);
    }
    const s2 = await createSession(join(root, 'l.db'));
    try {
      const exp = await s2.loadExperiment('train');
      assert.equal(exp.runs.length, 3, 'no new run: the diagnostics joined the current one');
      const run = exp.runs.filter((r) => r.params.lr === 0.3)[0];
      assert.equal(run?.fields.f1, 0.6);
      assert.equal(run?.fields.trained, 0.3, 'the training fields stay');
      const points = await s2.query('SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key', [run?.id]);
      assert.deepEqual(
        points.map((p) => [p.key, p.value]),
        [
          ['calibration', 2],
          ['loss', 0.7],
        ],
      );
    } finally {
      await s2.close();
    }
    const lockAfter = parse(readFileSync(join(root, 'results/train/run.lock'), 'utf8'));
    assert.equal(lockAfter.id, lockBefore.id);
  });
});
