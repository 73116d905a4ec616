import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { lock } from '../../src/lock/lock.ts';
import { verifyLock } from '../../src/lock/verify.ts';
import { tempDir } from '../helpers.ts';
import { gitIn, makeRepo, write } from './fixtures.ts';

const cache = () => join(tempDir(), 'hashes.db');

describe('lock', () => {
  test('writes run.lock with config, clean repo, data hashes and environment', async () => {
    const root = makeRepo();
    const { file, lock: l } = await lock({
      path: join(root, 'results/train'),
      config: { lr: 0.1, when: new Date('2024-01-02T00:00:00Z'), nested: { depth: 3 } },
      repos: [root],
      data: [join(root, 'data/raw'), join(root, 'data/raw/a.csv')],
      store: false,
      cache: cache(),
    });
    assert.equal(file, join(root, 'results/train/run.lock'));
    const y = parse(readFileSync(file, 'utf8'));
    assert.equal(y.id, l.id);
    assert.deepEqual(y.config, { lr: 0.1, when: '2024-01-02T00:00:00.000Z', nested: { depth: 3 } });
    assert.equal(y.repos[0].dirty, false);
    assert.equal(y.repos[0].commit, gitIn(root, 'rev-parse', 'HEAD'));
    assert.equal(y.repos[0].tree, gitIn(root, 'rev-parse', 'HEAD^{tree}'));
    assert.equal(y.repos[0].ref, null);
    assert.equal(y.dir, 'results/train');
    assert.deepEqual(
      y.data.map((d: { path: string; kind: string; files: number }) => [d.path, d.kind, d.files]),
      [
        ['data/raw', 'dir', 2],
        ['data/raw/a.csv', 'file', 1],
      ],
    );
    assert.match(y.data[0].hash, /^xxh3:[0-9a-f]{16}$/);
    assert.equal(y.env.node, process.version);
    assert.ok(y.env.cpus >= 1);
    const report = await verifyLock(file, { cache: cache() });
    assert.deepEqual(report.drift, []);
    assert.equal(report.ok, true);
  });

  test('a dirty tree is captured on a private ref; branch, index, stash and files untouched', async () => {
    const root = makeRepo();
    write(root, 'src/train.ts', 'export const lr = 0.2; // edited\n');
    write(root, 'src/new.ts', 'export const added = true;\n');
    write(root, 'src/staged.ts', 'export const s = 1;\n');
    gitIn(root, 'add', 'src/staged.ts');
    write(root, 'stash.txt', 'x');
    gitIn(root, 'add', 'stash.txt');
    gitIn(root, 'stash', 'push', '-q', '-m', 'kept', '--', 'stash.txt');
    const before = {
      status: gitIn(root, 'status', '--porcelain'),
      stash: gitIn(root, 'stash', 'list'),
      head: gitIn(root, 'rev-parse', 'HEAD'),
      branch: gitIn(root, 'symbolic-ref', 'HEAD'),
      staged: gitIn(root, 'diff', '--cached', '--name-only'),
      file: readFileSync(join(root, 'src/train.ts'), 'utf8'),
    };
    const { lock: l } = await lock({ path: join(root, 'results/x'), repos: [root], store: false, cache: false });
    const after = {
      status: gitIn(root, 'status', '--porcelain'),
      stash: gitIn(root, 'stash', 'list'),
      head: gitIn(root, 'rev-parse', 'HEAD'),
      branch: gitIn(root, 'symbolic-ref', 'HEAD'),
      staged: gitIn(root, 'diff', '--cached', '--name-only'),
      file: readFileSync(join(root, 'src/train.ts'), 'utf8'),
    };
    assert.deepEqual(after, before);
    assert.ok(before.status.includes('src/new.ts'));
    const repo = l.repos[0];
    assert.ok(repo);
    assert.equal(repo.dirty, true);
    assert.equal(repo.ref, `refs/lockstep/runs/${l.id}`);
    assert.equal(gitIn(root, 'rev-parse', repo.ref), repo.captured);
    assert.equal(gitIn(root, 'rev-parse', `${repo.captured}^`), before.head);
    // the captured commit holds the code exactly as it was run, staged or not
    assert.equal(gitIn(root, 'show', `${repo.captured}:src/train.ts`), 'export const lr = 0.2; // edited');
    assert.equal(gitIn(root, 'show', `${repo.captured}:src/new.ts`), 'export const added = true;');
    assert.equal(gitIn(root, 'show', `${repo.captured}:src/staged.ts`), 'export const s = 1;');
    // stashed content is not part of the working tree
    assert.throws(() => gitIn(root, 'show', `${repo.captured}:stash.txt`));
  });

  test('verify reports drifted code and data, then missing data', async () => {
    const root = makeRepo();
    const { file } = await lock({
      path: join(root, 'results/y'),
      repos: [root],
      data: [join(root, 'data/raw')],
      store: false,
      cache: cache(),
    });
    write(root, 'data/raw/b.csv', 'x,y\n3,5\n');
    write(root, 'src/train.ts', 'export const lr = 0.3;\n');
    const r = await verifyLock(file, { cache: cache() });
    assert.equal(r.ok, false);
    assert.deepEqual(r.drift.map((d) => [d.section, d.item]).sort(), [
      ['code', '.'],
      ['data', 'data/raw'],
    ]);
    renameSync(join(root, 'data/raw/a.csv'), join(root, 'data/raw/c.csv'));
    write(root, 'data/raw/b.csv', 'x,y\n3,4\n');
    gitIn(root, 'checkout', '-q', '--', 'src/train.ts');
    const r2 = await verifyLock(file, { cache: cache() });
    // a rename alone changes a directory's hash
    assert.deepEqual(
      r2.drift.map((d) => [d.section, d.item]),
      [['data', 'data/raw']],
    );
    renameSync(join(root, 'data/raw/c.csv'), join(root, 'data/raw/a.csv'));
    assert.equal((await verifyLock(file, { cache: cache() })).ok, true);
    assert.ok(existsSync(file));
  });
});
