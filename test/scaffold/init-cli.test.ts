import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.ts';
import { lockstep, ok, REPO, sh } from './helpers.ts';

const LAYOUT = [
  'README.md',
  'LICENSE',
  'package.json',
  'tsconfig.json',
  'biome.json',
  '.gitignore',
  '.env.example',
  'data/raw/.gitkeep',
  'data/interim/.gitkeep',
  'data/processed/.gitkeep',
  'data/external/.gitkeep',
  'models/.gitkeep',
  'notebooks/README.md',
  'reports/figures/.gitkeep',
  'references/.gitkeep',
  'docs/index.md',
  'src/config.ts',
  'src/dataset.ts',
  'src/features.ts',
  'src/plots.ts',
  'src/modeling/train.ts',
  'src/modeling/predict.ts',
];

test('init --yes writes the Cookiecutter Data Science layout and a first commit with data ignored', async () => {
  const dir = join(tempDir(), 'Iris Study');
  const done = ok(await lockstep(['init', dir, '--yes', '--author', 'Ada Lovelace']), 'lockstep init');
  assert.match(done.stdout, /Created Iris Study in .* \(\d+ files\)/);
  for (const f of LAYOUT) assert.ok(existsSync(join(dir, f)), `missing ${f}`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'iris-study');
  assert.equal(pkg.author, 'Ada Lovelace');
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /MIT License\n\nCopyright \(c\) \d{4} Ada Lovelace/);

  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(readme, /^# Iris Study/);
  for (const reason of [
    /Raw data is immutable/,
    /Notebooks explore, source code repeats/,
    /Secrets and configuration/,
  ]) {
    assert.match(readme, reason);
  }
  assert.doesNotMatch(readme, /\{\{|\}\}/, 'a template placeholder leaked into the README');

  // one commit on main, nothing left over, and the data folders kept only by .gitkeep
  const git = (...args: string[]) => sh('git', args, dir);
  assert.equal((await git('log', '--format=%s')).stdout.trim(), 'Initial commit from lockstep init');
  assert.equal((await git('branch', '--show-current')).stdout.trim(), 'main');
  assert.equal((await git('status', '--porcelain')).stdout, '');
  const tracked = (await git('ls-files')).stdout.split('\n');
  assert.ok(tracked.includes('data/raw/.gitkeep'));
  writeFileSync(join(dir, 'data/raw/big.csv'), 'a,b\n');
  mkdirSync(join(dir, 'data/interim/deep'));
  writeFileSync(join(dir, 'data/interim/deep/x.csv'), 'a\n');
  writeFileSync(join(dir, '.env'), 'TOKEN=secret\n');
  writeFileSync(join(dir, 'lockstep.db'), '');
  assert.equal(
    (await git('status', '--porcelain', '--untracked-files=all')).stdout,
    '',
    'data, .env or lockstep.db not ignored',
  );
});

test('a non-empty target is refused with exit 2 and nothing is written', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const done = await lockstep(['init', dir, '--yes']);
  assert.equal(done.code, 2);
  assert.match(done.stderr, /is not empty \(it holds notes\.txt\).*nothing was written/);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);

  const file = join(dir, 'notes.txt');
  const onFile = await lockstep(['init', file, '--yes']);
  assert.equal(onFile.code, 2);
  assert.match(onFile.stderr, /exists and is not a directory/);
});

test('a bad choice is refused with exit 2 before the directory is created', async () => {
  const parent = tempDir();
  const cases: [string[], RegExp][] = [
    [['--license', 'GPL'], /--license must be one of none, MIT, BSD-3-Clause; got "GPL"/],
    [['--data-remote', 'x; rm -rf /'], /must be an rclone remote/],
  ]; // the other checks are unit-tested in options.test.ts; each CLI start costs seconds
  for (const [flags, message] of cases) {
    const done = await lockstep(['init', join(parent, 'p'), '--yes', ...flags]);
    assert.equal(done.code, 2, flags.join(' '));
    assert.match(done.stderr, message);
    assert.equal(existsSync(join(parent, 'p')), false, `${flags.join(' ')} wrote the directory`);
  }
});

test('without a terminal and without --yes, init takes the defaults instead of waiting for prompts', async () => {
  const dir = join(tempDir(), 'quiet');
  const done = ok(await lockstep(['init', dir, '--no-git', '--linter', 'none', '--license', 'none']), 'init');
  assert.match(done.stderr, /no terminal, so no prompts/);
  assert.match(done.stdout, /git: skipped \(--no-git\)/);
  assert.equal(existsSync(join(dir, '.git')), false);
  assert.equal(existsSync(join(dir, 'LICENSE')), false);
  assert.equal(existsSync(join(dir, 'biome.json')), false);
  assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).license, 'UNLICENSED');
});

test('init --help says what happens without a terminal', async () => {
  const done = ok(await lockstep(['init', '--help']), 'init --help');
  assert.match(done.stdout, /Without a terminal .* behaves as with --yes/);
  assert.match(done.stdout, /--data-remote <remote>/);
});

test('every template ships in the npm package', async () => {
  const packed = ok(await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], REPO), 'npm pack');
  const files = new Set((JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path));
  const templates = readdirSync(join(REPO, 'templates'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO, join(e.parentPath, e.name)).split(sep).join('/'));
  assert.ok(templates.length > 20, `only ${templates.length} templates found`);
  for (const t of templates) assert.ok(files.has(t), `${t} is not in the package`);
});
