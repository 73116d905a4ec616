import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { runCli } from '../../src/config/cli.ts';
import { createSession } from '../../src/session.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';
import { makeRepo } from '../lock/fixtures.ts';

const Config = z.object({
  lr: z.number().default(0.1),
  depth: z.number().int().default(2),
  save_dir: z.string().default('results/train'),
});

// The sources through tsx, not bin/ (which prefers a built dist/ that may be older than the sources).
const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];
const SCRIPT = fileURLToPath(new URL('./fixtures/train.ts', import.meta.url));

const home = process.cwd();
let repo = '';
before(() => {
  // Locks capture the repository of the working directory: a throwaway one, never the project's own.
  repo = makeRepo();
  process.chdir(repo);
  process.env.LOCKSTEP_HASH_CACHE = join(tempDir(), 'hashes.db');
});
after(() => process.chdir(home));

for (const backend of backends()) {
  describe(`cli runs (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a single run is tracked with its fields and its output directory locked', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const db = await backend.fresh();
      const seen: unknown[] = [];
      const r = await runCli(
        Config,
        async (cfg, ctx) => {
          seen.push(cfg);
          ctx.run.log('loss', 0.5, 1);
          ctx.track(join(repo, 'data/raw'));
          return { score: cfg.lr * cfg.depth };
        },
        { argv: ['-o', 'lr=0.25', '--db', db, '--name', 'single'], script: SCRIPT },
      );
      assert.equal(r.code, 0, r.message);
      assert.deepEqual(seen, [{ lr: 0.25, depth: 2, save_dir: 'results/train' }]);
      const lockFile = join(repo, 'results/train/run.lock');
      const l = parse(readFileSync(lockFile, 'utf8'));
      assert.equal(l.config.lr, 0.25);
      assert.deepEqual(
        l.data.map((d: { path: string }) => d.path),
        ['data/raw'],
      );
      const s = await createSession(db);
      try {
        const exp = await s.loadExperiment('single');
        const run = exp.runs.first();
        assert.equal(run?.status, 'done');
        assert.equal(run?.fields.score, 0.5);
        assert.equal(run?.fields.lock_id, l.id);
        assert.equal(run?.params.lr, 0.25);
        const locks = await s.query('SELECT id FROM locks');
        assert.deepEqual(
          locks.map((x) => x.id),
          [l.id],
        );
      } finally {
        await s.close();
      }
    });

    test('a sweep is an experiment whose runs are the tasks, each locked with a parent link', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const db = await backend.fresh();
      const r = await runCli(Config, (cfg) => ({ score: cfg.lr + cfg.depth }), {
        argv: [
          '--sweep',
          'lr=0.1,0.2',
          '--sweep',
          'depth=1,3',
          '--db',
          db,
          '--name',
          'sweep',
          '-o',
          'save_dir=results/sweep',
        ],
        script: SCRIPT,
      });
      assert.equal(r.code, 0, r.message);
      assert.equal(r.summary?.done, 4);
      const parent = parse(readFileSync(join(repo, 'results/sweep/run.lock'), 'utf8'));
      assert.deepEqual(parent.config.sweep, { lr: [0.1, 0.2], depth: [1, 3] });
      for (const task of r.plan?.tasks ?? []) {
        const l = parse(readFileSync(join(repo, task.outDir as string, 'run.lock'), 'utf8'));
        assert.equal(l.parent.id, parent.id);
        assert.equal(l.config.lr, task.config.lr);
      }
      const s = await createSession(db);
      try {
        const exp = await s.loadExperiment('sweep');
        assert.deepEqual(exp.runs.map((x) => x.fields.score).sort(), [1.1, 1.2, 3.1, 3.2]);
      } finally {
        await s.close();
      }
    });

    test('bad input: code 2, main not called, nothing written', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const db = await backend.fresh();
      let called = false;
      const r = await runCli(
        Config,
        () => {
          called = true;
        },
        { argv: ['-o', 'depht=3', '--db', db, '--name', 'bad'], script: SCRIPT },
      );
      assert.equal(r.code, 2);
      assert.match(r.message ?? '', /did you mean "depth"/);
      assert.equal(called, false);
      const slurm = await runCli(Config, () => undefined, {
        argv: ['--sweep', 'lr=1,2', '--slurm', join(repo, 'no-such-slurm.yml'), '--db', db, '--name', 'bad'],
        script: SCRIPT,
      });
      assert.equal(slurm.code, 2);
      assert.match(slurm.message ?? '', /cannot read Slurm settings/);
      const s = await createSession(db);
      try {
        assert.deepEqual(await s.listExperiments(), []);
      } finally {
        await s.close();
      }
    });
  });
}

describe('lockstep run (a script in its own process)', () => {
  const run = (cwd: string, ...args: string[]) =>
    spawnSync(process.execPath, [...CLI, 'run', SCRIPT, ...args], { cwd, encoding: 'utf8', env: { ...process.env } });

  test('--debug: the failing frame’s locals are captured and shown (a = 0)', () => {
    const cwd = makeRepo();
    const r = run(cwd, '-o', 'fail=true', '--debug', '--db', join(cwd, 'x.db'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /failing frame train \(.*train\.ts:\d+\)/);
    assert.match(r.stderr, /^ {4}a = 0$/m);
    assert.match(r.stderr, /^ {4}scale = 1$/m);
    // the same through the environment variable; without either, no locals
    const env = spawnSync(process.execPath, [...CLI, 'run', SCRIPT, '-o', 'fail=true', '--db', join(cwd, 'x.db')], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, LOCKSTEP_DEBUG: '1' },
    });
    assert.match(env.stderr, /^ {4}a = 0$/m);
    const plain = run(cwd, '-o', 'fail=true', '--db', join(cwd, 'x.db'));
    assert.equal(plain.status, 1);
    assert.doesNotMatch(plain.stderr, /a = 0$/m);
  });

  test('--debug on a terminal: a REPL opens with the failing frame’s locals in scope', (t) => {
    if (spawnSync('script', ['--version']).status !== 0)
      return t.skip('util-linux `script` (a pseudo-terminal) unavailable');
    const cwd = makeRepo();
    const cmd = [process.execPath, ...CLI, 'run', SCRIPT, '-o', 'fail=true', '--debug', '--db', join(cwd, 'x.db')]
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], {
      cwd,
      input: "String(a) + '-' + scale + 'ok'\n.exit\n",
      encoding: 'utf8',
      timeout: 120_000,
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are stripped
    const out = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    assert.match(out, /debug> /);
    assert.match(out, /'0-1ok'/);
    assert.equal(r.status, 1);
  });

  test('--slurm: the tasks of a sweep run as a Slurm job array, each locked', (t) => {
    const up = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 10_000 });
    if (up.status !== 0 || !/idle|mix|alloc/.test(up.stdout)) {
      // .ci/run starts a single-node cluster (scripts/ci/slurm.sh): there, a missing one is a failure
      if (process.env.CI === 'true') assert.fail(`Slurm is not available: ${up.stderr || up.stdout}`);
      return t.skip('no Slurm cluster');
    }
    const cwd = makeRepo();
    writeFileSync(join(cwd, 'slurm.yml'), `tasks: 2\ntime: 10\nlogs: ${join(cwd, 'slurm-logs')}\n`);
    const r = run(cwd, '--sweep', 'epochs=4,5', '--slurm', 'slurm.yml', '--db', join(cwd, 'x.db'));
    assert.equal(r.status, 0, r.stderr);
    for (const e of [4, 5]) {
      const l = parse(readFileSync(join(cwd, `results/train/epochs=${e}/run.lock`), 'utf8'));
      assert.equal(l.config.epochs, e);
    }
  });

  test('exit code 2 on bad input; --jobs 2 runs tasks on the worker pool, each locked', () => {
    const cwd = makeRepo();
    const bad = run(cwd, '-o', 'epochs=zero');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /epochs="zero" is not a number/);
    assert.equal(existsSync(join(cwd, 'lockstep.db')), false);
    const ok = run(cwd, '--sweep', 'lr=0.1,0.2,0.3', '--jobs', '2', '--db', join(cwd, 'x.db'));
    assert.equal(ok.status, 0, ok.stderr);
    for (const lr of ['0.1', '0.2', '0.3']) {
      const l = parse(readFileSync(join(cwd, `results/train/lr=${lr}/run.lock`), 'utf8'));
      assert.equal(l.config.lr, Number(lr));
      assert.ok(l.parent?.id);
    }
  });
});
