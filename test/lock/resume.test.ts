// --resume by content, from the user's side: scripts in a git repository, run through `lockstep run`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gitIn, lockstepIn, makeProject, write } from './fixtures.ts';

const PREP = `import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ input: z.string().default('\${track:data/input.csv}'), save_dir: z.string().default('results/prep') });
await cli(Config, (cfg) => {
  mkdirSync(cfg.save_dir, { recursive: true });
  writeFileSync(cfg.save_dir + '/clean.txt', readFileSync(cfg.input, 'utf8').trim().toUpperCase());
});
`;

const PROCESS = `import { appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
import { scale } from './src/scale.ts';
const Config = z.object({
  param: z.number().default(1),
  prep: z.string().default('\${stage:results/prep}'),
  input: z.string().default('\${track:data/input.csv}'),
  save_dir: z.string().default('results/process'),
});
await cli(Config, (cfg) => {
  appendFileSync('calls.log', cfg.param + '\\n');
  mkdirSync(cfg.save_dir, { recursive: true });
  const text = readFileSync(cfg.prep + '/clean.txt', 'utf8');
  writeFileSync(cfg.save_dir + '/out.txt', text + ' x' + scale(cfg.param));
});
`;

function calls(root: string): string[] {
  return readFileSync(join(root, 'calls.log'), 'utf8').trim().split('\n');
}

describe('--resume by content', () => {
  test('a task is done only while its config, tracked data, code and previous stages match its lock', () => {
    const root = makeProject({
      'prep.ts': PREP,
      'process.ts': PROCESS,
      'src/scale.ts': 'export const scale = (p: number) => p * 10;\n',
      'tasks.txt': '1\n2\n3\n',
    });
    write(root, 'data/input.csv', 'a,b\n');
    const run = (...args: string[]) => {
      const r = lockstepIn(root, 'run', ...args);
      assert.equal(r.status, 0, r.stderr);
      return r;
    };
    const sweep = ['process.ts', '--tasks', 'tasks.txt', '--task-to', 'param', '--resume'];
    run('prep.ts');
    run(...sweep);
    assert.deepEqual(calls(root), ['1', '2', '3']);
    const out = (p: number) => readFileSync(join(root, `results/process/param=${p}/out.txt`), 'utf8');
    assert.equal(out(2), 'A,B x20');

    // nothing changed: nothing runs
    run(...sweep);
    assert.equal(calls(root).length, 3);

    // the tracked input changed: every task of the sweep runs again (the case: they were all skipped)
    write(root, 'data/input.csv', 'c,d\n');
    const input = run(...sweep);
    assert.match(input.stderr, /resume: param=3 runs again: data data\/input\.csv changed/);
    assert.deepEqual(calls(root).slice(3), ['1', '2', '3']);
    // so did prep's: it runs again, and every task consumed the old prep
    const stale = run('prep.ts', '--resume');
    assert.match(stale.stderr, /resume: prep runs again: data data\/input\.csv changed/);
    const again = run(...sweep);
    assert.match(again.stderr, /resume: param=1 runs again: previous stage results\/prep ran again/);
    assert.deepEqual(calls(root).slice(6), ['1', '2', '3']);
    assert.equal(out(2), 'C,D x20');

    // the code changed (a committed helper): every task runs again
    write(root, 'src/scale.ts', 'export const scale = (p: number) => p * 100;\n');
    gitIn(root, 'commit', '-qam', 'scale by 100');
    const code = run(...sweep);
    assert.match(code.stderr, /code changed: M src\/scale\.ts/);
    assert.equal(calls(root).length, 12);
    assert.equal(out(3), 'C,D x300');

    // one task's output directory was locked by something else since: only that task runs again
    const other = lockstepIn(root, 'lock', 'create', 'results/process/param=2');
    assert.equal(other.status, 0, other.stderr);
    const one = run(...sweep);
    assert.match(one.stderr, /param=2 runs again: .*now holds another run's lock/);
    assert.deepEqual(calls(root).slice(12), ['2']);
  });
});
