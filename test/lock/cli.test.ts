import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { makeRepo, write } from './fixtures.ts';

// The sources through tsx, not bin/ (which prefers a built dist/ that may be older than the sources).
const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

function lockstep(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOCKSTEP_HASH_CACHE: join(tempDir(), 'h.db'), LOCKSTEP_DB: join(cwd, 'l.db') },
  });
}

describe('lock commands', () => {
  test('lock create, lock verify (0, then 1 with the drift listed), diff, lineage, lock ls', () => {
    const root = makeRepo();
    const a = lockstep(root, 'lock', 'create', 'results/prep', '--data', 'data/raw', '--name', 'prep');
    assert.equal(a.status, 0, a.stderr);
    write(root, 'results/prep/out.csv', 'o\n');
    write(root, 'cfg.yml', 'lr: 0.2\n');
    const b = lockstep(
      root,
      'lock',
      'create',
      'results/train',
      '--data',
      'results/prep/out.csv',
      '--config',
      'cfg.yml',
      '--name',
      'train',
    );
    assert.equal(b.status, 0, b.stderr);
    const ok = lockstep(root, 'lock', 'verify', 'results/prep');
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /matches/);
    write(root, 'data/raw/a.csv', 'x,y\n9,9\n');
    const drift = lockstep(root, 'lock', 'verify', 'results/prep');
    assert.equal(drift.status, 1);
    assert.match(drift.stdout, /drift {2}data {2}data\/raw/);
    const diff = lockstep(root, 'diff', 'results/prep', 'results/train', '--csv');
    assert.equal(diff.status, 0, diff.stderr);
    assert.match(diff.stdout, /^config,lr,\(absent\),0\.2$/m);
    assert.match(diff.stdout, /^lineage,results\/prep\/run\.lock,\(absent\),/m);
    const lin = lockstep(root, 'lineage', 'results/train');
    assert.equal(lin.status, 0, lin.stderr);
    assert.match(lin.stdout, /^train [0-9a-f]{8}\n {2}└─ prep [0-9a-f]{8}$/m);
    const ls = lockstep(root, 'lock', 'ls', '--json');
    assert.deepEqual(
      JSON.parse(ls.stdout)
        .map((r: { name: string }) => r.name)
        .sort(),
      ['prep', 'train'],
    );
    const missing = lockstep(root, 'lock', 'verify', 'results/nothing');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no run\.lock at/);
  });
});

describe('tag and diff from the command line', () => {
  test('bare `tag` lists, -m records a message, `tag NAME` shows it, -d deletes it; diff names the changed files', () => {
    const root = makeRepo();
    assert.equal(lockstep(root, 'lock', 'create', 'results/a', '--name', 'a').status, 0);
    write(root, 'src/train.ts', 'export const lr = 0.2;\nexport const depth = 3;\n');
    write(root, 'src/new.ts', 'export {};\n');
    assert.equal(lockstep(root, 'lock', 'create', 'results/b', '--name', 'b').status, 0);
    const empty = lockstep(root, 'tag');
    assert.equal(empty.status, 0, empty.stderr);
    assert.equal(empty.stdout.trim(), 'name,created,locks,message,commit');
    const made = lockstep(root, 'tag', 'best', 'results/b', '-m', 'the run for the paper');
    assert.equal(made.status, 0, made.stderr);
    assert.equal(lockstep(root, 'tag', 'old', 'results/a').status, 0);
    const list = lockstep(root, 'tag', '--json');
    assert.equal(list.status, 0, list.stderr);
    const tags = JSON.parse(list.stdout) as { name: string; locks: number; message: string | null }[];
    assert.deepEqual(
      tags.map((t) => [t.name, t.locks, t.message]),
      [
        ['best', 1, 'the run for the paper'],
        ['old', 1, null],
      ],
    );
    const shown = lockstep(root, 'tag', 'best');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /refs\/lockstep\/tags\/best [0-9a-f]{12}: the run for the paper\n {2}[0-9a-f]{8} b results\/b/,
    );
    const del = lockstep(root, 'tag', '-d', 'old');
    assert.equal(del.status, 0, del.stderr);
    assert.match(del.stdout, /deleted tag old/);
    assert.deepEqual(
      (JSON.parse(lockstep(root, 'tag', '--json').stdout) as { name: string }[]).map((t) => t.name),
      ['best'],
    );
    const again = lockstep(root, 'tag', '-d', 'old');
    assert.equal(again.status, 2);
    assert.match(again.stderr, /no tag "old"/);

    const diff = lockstep(root, 'diff', 'results/a', 'results/b', '--csv');
    assert.equal(diff.status, 0, diff.stderr);
    assert.match(diff.stdout, /^files,src\/train\.ts,,\+2 -1$/m);
    assert.match(diff.stdout, /^files,src\/new\.ts,,\+1 -0$/m);
  });
});
