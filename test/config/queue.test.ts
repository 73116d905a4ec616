// The plan of a sweep travels with its queued runs: a worker started by hand, in a clean environment, runs them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createSession } from '../../src/session.ts';
import { makeProject } from '../lock/fixtures.ts';

const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

const TRAIN = `import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ lr: z.number().default(0.1), save_dir: z.string().default('results/train') });
await cli(Config, (cfg) => ({ score: cfg.lr * 2 }));
`;

function start(cwd: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  return { child, done, err: () => err };
}

describe('lockstep run --queue', () => {
  test('a worker started by hand with nothing in its environment runs the queued tasks and locks them', async () => {
    const root = makeProject({ 'train.ts': TRAIN });
    const db = join(root, 'q.db');
    const cache = join(root, 'data', 'h.db');
    const runner = start(root, ['run', 'train.ts', '--sweep', 'lr=0.1,0.2,0.3', '--queue', '--db', db], {
      ...process.env,
      LOCKSTEP_HASH_CACHE: cache,
    });
    // the worker knows the database and nothing else: no variable of the process that queued the sweep
    const worker = start(root, ['worker', '--db', db, '--poll', '0.2'], {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOCKSTEP_HASH_CACHE: cache,
    });
    try {
      assert.equal(await runner.done, 0, runner.err() + worker.err());
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done;
    }
    for (const lr of [0.1, 0.2, 0.3]) {
      const lock = parse(readFileSync(join(root, `results/train/lr=${lr}/run.lock`), 'utf8'));
      assert.equal(lock.config.lr, lr);
      assert.ok(lock.parent?.id, 'each task points at the sweep');
    }
    const s = await createSession(db);
    try {
      const exp = await s.loadExperiment('train');
      assert.deepEqual(exp.runs.map((r) => r.fields.score).sort(), [0.2, 0.4, 0.6]);
      const specs = await s.query('SELECT spec FROM exec_specs');
      assert.match(String(specs[0]?.spec), /"arg":\{"script":"[^"]*train\.ts"/, 'the plan is stored with the queue');
    } finally {
      await s.close();
    }
  });
});
