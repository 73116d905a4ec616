// Generates projects with `lockstep init` from this checkout, installs them
// (lockstep by path: no registry serves it), and runs what their README
// promises: the README's own commands, tests, lint, every stage.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { createSession } from '../../src/index.ts';
import { shellBlocksOf } from '../docs/blocks.ts';
import { runServerBlock } from '../docs/walk.ts';
import { tempDir } from '../helpers.ts';
import { builtCheckout, type Done, lockstep, npmInstall, ok, REPO, sh } from './helpers.ts';

const SLOW = { timeout: 15 * 60_000 };

/** `npm run <script> [-- args]` in the project. */
const npmRun = (dir: string, script: string, ...args: string[]): Promise<Done> =>
  sh('npm', ['run', script, ...(args.length ? ['--', ...args] : [])], dir);

interface LockFile {
  config: Record<string, unknown>;
  repos: { path: string; commit: string | null }[];
  data: { path: string }[];
  prevs: { path: string }[];
}
const readLock = (path: string) => parse(readFileSync(path, 'utf8')) as LockFile;

/** The runs of the project's `train` experiment, straight from its lockstep.db. */
async function trainRuns(dir: string) {
  const session = await createSession(join(dir, 'lockstep.db'));
  try {
    const rows = await session.query('SELECT * FROM experiment_train');
    const exp = await session.loadExperiment('train');
    const loss = rows[0] ? await exp.metrics(String(rows[0].run_id), 'loss') : [];
    return { rows, loss };
  } finally {
    await session.close();
  }
}

/** The lockstep entry of a project's package-lock.json. */
const lockedLockstep = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages['node_modules/lockstep'] as {
    resolved?: string;
    link?: boolean;
  };

test(
  'the default project installs lockstep from this checkout by path, and its README commands pass',
  SLOW,
  async () => {
    await builtCheckout();
    const built = statSync(join(REPO, 'dist/.build')).mtimeMs;
    const dir = join(tempDir(), 'default-project');
    ok(await lockstep(['init', dir, '--yes', '--author', 'Test']), 'init');
    const spec = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.lockstep as string;
    assert.equal(join(dir, spec.replace(/^file:/, '')), join(REPO, 'pkg'), spec);
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /depends on lockstep by path/);

    ok(await npmInstall(dir), 'npm install');
    const locked = lockedLockstep(dir);
    assert.equal(locked.link, true, 'lockstep is linked, not fetched');
    assert.equal(join(dir, locked.resolved ?? ''), join(REPO, 'pkg'));
    assert.equal(statSync(join(REPO, 'dist/.build')).mtimeMs, built, 'installing the project rebuilt lockstep');

    // every command of the README's plain sh blocks, in order, as a user types them
    const blocks = shellBlocksOf(join(dir, 'README.md'));
    assert.deepEqual(
      blocks.map((b) => b.marker),
      ['run', 'run', 'server'],
    );
    const outputs = new Map<string, string>();
    for (const { text, line } of blocks.filter((b) => b.marker === 'run').flatMap((b) => b.commands)) {
      outputs.set(text, ok(await sh('bash', ['-c', text], dir), `README.md:${line}: ${text}`).stdout);
    }
    const output = (start: string) => [...outputs].find(([cmd]) => cmd.startsWith(start))?.[1] ?? '';
    assert.match(output('npm run test'), /# pass 4\b/);
    assert.match(output('npm run test'), /# fail 0\b/);
    assert.match(output('npx lockstep runs train'), /,done,/);
    assert.match(output('npx lockstep lock verify'), /matches/);
    for (const stage of ['train', 'features', 'dataset'])
      assert.match(output('npx lockstep lineage'), new RegExp(`\\b${stage}\\b`));
    // the web UI block: it starts, says where, and stops (the commands around it ran above)
    for (const block of blocks.filter((b) => b.marker === 'server')) {
      const served = await runServerBlock(block, dir);
      assert.equal(served.code, 0, served.output);
    }

    const { rows, loss } = await trainRuns(dir);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'done');
    assert.equal(rows[0]?.lr, 0.5);
    assert.ok(Number(rows[0]?.test_accuracy) > 0.8, `test accuracy ${rows[0]?.test_accuracy}`);
    assert.equal(loss.length, 100, 'one loss point per epoch');

    const head = (await sh('git', ['rev-parse', 'HEAD'], dir)).stdout.trim();
    const lock = readLock(join(dir, 'models/logreg/run.lock'));
    assert.equal(lock.config.lr, 0.5);
    assert.equal(lock.repos[0]?.commit, head, 'the lock names the commit the project was generated with');
    assert.deepEqual(
      lock.data.map((d) => d.path),
      ['data/processed/features.csv'],
    );
    // every stage locks its output and links the stage before it
    assert.deepEqual(
      lock.prevs.map((p) => p.path),
      ['data/processed/run.lock'],
    );
    assert.deepEqual(
      readLock(join(dir, 'data/processed/run.lock')).prevs.map((p) => p.path),
      ['data/raw/run.lock'],
    );
    const predictLock = readLock(join(dir, 'data/processed/predictions/run.lock'));
    assert.ok(
      predictLock.prevs.some((p) => p.path === 'models/logreg/run.lock'),
      'predict records the training run as its lineage',
    );
    assert.ok(existsSync(join(dir, 'models/logreg/model.json')));
    assert.match(readFileSync(join(dir, 'reports/figures/loss.svg'), 'utf8'), /<path d="M/);

    // the config command line reaches the script through the package script
    ok(await npmRun(dir, 'train', '-o', 'lr=0.1'), 'npm run train -- -o lr=0.1');
    assert.equal(readLock(join(dir, 'models/logreg/run.lock')).config.lr, 0.1);
    const bad = await npmRun(dir, 'train', '-o', 'lr=fast');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /lr/);
  },
);

test(
  'vitest, no example, no linter, BSD, a data remote and no git: installs, tests, trains, syncs data',
  SLOW,
  async () => {
    await builtCheckout();
    const dir = join(tempDir(), 'variant');
    const remote = join(tempDir(), 'remote');
    const flags = ['--test-runner', 'vitest', '--no-example', '--linter', 'none', '--license', 'BSD-3-Clause'];
    ok(await lockstep(['init', dir, '--yes', ...flags, '--data-remote', remote, '--no-git']), 'init');
    assert.equal(existsSync(join(dir, '.git')), false);
    assert.equal(existsSync(join(dir, 'biome.json')), false);
    assert.equal(existsSync(join(dir, 'src/modeling/model.ts')), false);
    assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /^BSD 3-Clause License/);
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), new RegExp(`rclone remote \`${remote}\``));

    ok(await npmInstall(dir), 'npm install');
    const tests = ok(await npmRun(dir, 'test'), 'npm test');
    assert.match(tests.stdout, /Tests\s+2 passed/);
    ok(await npmRun(dir, 'lint'), 'npm run lint (tsc)'); // type-checks the stage skeletons, which only print a TODO
    for (const stage of ['data', 'train']) ok(await npmRun(dir, stage), `npm run ${stage}`);
    const { rows } = await trainRuns(dir);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'done');
    const lock = readLock(join(dir, 'models/model/run.lock'));
    assert.equal(lock.config.seed, 0);
    assert.deepEqual(lock.repos, [], 'no git repository, so no code in the lock');

    if ((await sh('rclone', ['version'], dir)).code !== 0) {
      assert.notEqual(process.env.CI, 'true', 'rclone is required in CI');
      return; // outside CI without rclone: the scripts were checked by the unit tests
    }
    mkdirSync(join(dir, 'data/raw/batch'));
    writeFileSync(join(dir, 'data/raw/batch/x.csv'), 'a,b\n1,2\n');
    ok(await npmRun(dir, 'data:push'), 'data:push');
    assert.equal(readFileSync(join(remote, 'data/raw/batch/x.csv'), 'utf8'), 'a,b\n1,2\n');
    assert.equal(existsSync(join(remote, 'data/raw/.gitkeep')), false);
    rmSync(join(dir, 'data/raw/batch'), { recursive: true });
    ok(await npmRun(dir, 'data:pull'), 'data:pull');
    assert.equal(readFileSync(join(dir, 'data/raw/batch/x.csv'), 'utf8'), 'a,b\n1,2\n');
  },
);

test('pnpm and no license: pnpm installs it, and its tests and train script pass', SLOW, async () => {
  await builtCheckout();
  const dir = join(tempDir(), 'pnpm-project');
  ok(await lockstep(['init', dir, '--yes', '--package-manager', 'pnpm', '--license', 'none']), 'init');
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  // link: is pnpm's symlink dependency: pnpm leaves the linked package's own node_modules alone
  assert.equal(join(dir, manifest.dependencies.lockstep.replace(/^link:/, '')), join(REPO, 'pkg'));
  assert.deepEqual(manifest.pnpm.onlyBuiltDependencies, ['better-sqlite3', 'esbuild']);
  assert.equal(manifest.allowScripts, undefined);
  assert.equal(existsSync(join(dir, 'LICENSE')), false);
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(readme, /^pnpm install$/m);
  assert.match(readme, /^pnpm train /m);
  assert.doesNotMatch(readme, /npm run/);

  // pnpm is not on the machine: npm installs pnpm 10 (it supports Node 20) into a temporary prefix
  const prefix = tempDir('pnpm-');
  ok(
    await sh('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', 'pnpm@10'], prefix),
    'npm install pnpm',
  );
  const pnpm = (...args: string[]) => sh(join(prefix, 'node_modules/.bin/pnpm'), args, dir);
  // no lockfile yet, and under CI=true pnpm would insist on a frozen one
  ok(await pnpm('install', '--no-frozen-lockfile'), 'pnpm install');
  const tests = ok(await pnpm('test'), 'pnpm test');
  assert.match(tests.stdout, /# pass 4\b/);
  // (lint: the default project lints the same files with the same Biome and tsc)
  for (const stage of ['data', 'features']) ok(await pnpm(stage), `pnpm ${stage}`);
  // as the README says: pnpm hands the script its arguments without a `--`
  ok(await pnpm('train', '-o', 'epochs=20'), 'pnpm train -o epochs=20');
  const { rows, loss } = await trainRuns(dir);
  assert.equal(rows[0]?.status, 'done');
  assert.equal(loss.length, 20);
  assert.equal(readLock(join(dir, 'models/logreg/run.lock')).config.epochs, 20);
});
