// Paths and digests from outside (a remote's manifest, a tag's locks, a
// database row) are checked before any filesystem call uses them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { isLockstepError } from '../../src/errors.ts';
import { createSession } from '../../src/index.ts';
import { lock } from '../../src/lock/lock.ts';
import { pullTag } from '../../src/lock/pull.ts';
import { pushTag } from '../../src/lock/push.ts';
import { tagRuns } from '../../src/lock/tag.ts';
import { checkDigest, insideRoot } from '../../src/untrusted.ts';
import { tempDir } from '../helpers.ts';
import { gitIn, makeRepo } from './fixtures.ts';

describe('untrusted paths and digests', () => {
  test('insideRoot refuses climbing, absolute paths and symlinks that lead out', () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, 'in'));
    symlinkSync(outside, join(root, 'link'));
    assert.equal(insideRoot(root, 'in/a.txt', 'x'), join(root, 'in', 'a.txt'));
    assert.equal(insideRoot(root, 'new/deeper/a.txt', 'x'), join(root, 'new', 'deeper', 'a.txt'));
    for (const bad of ['../escape.txt', 'in/../../escape', '/etc/hostname', 'link/passwd', '', 'a\u0000b', 5]) {
      assert.throws(
        () => insideRoot(root, bad, 'manifest path'),
        (e) => isLockstepError(e, 'E_INPUT') && /manifest path/.test(e.message),
        String(bad),
      );
    }
    assert.equal(checkDigest(`xxh3:${'a'.repeat(16)}`, 'xxh3', 'h'), `xxh3:${'a'.repeat(16)}`);
    for (const bad of ['xxh3:../../../../etc/hostname', 'xxh3:ABCDEF0123456789', `${'a'.repeat(64)}/..`, null])
      assert.throws(() => checkDigest(bad, 'xxh3', 'manifest hash'), /manifest hash/);
    assert.throws(() => checkDigest('../../victim', 'sha256', 'dataset'), /SHA-256/);
  });

  test('pull refuses a manifest whose path or hash leads outside --into, before copying anything', async () => {
    const session = await createSession(join(tempDir(), 'l.db'));
    try {
      const root = makeRepo();
      await lock({
        repos: [root],
        store: session,
        cache: false,
        path: join(root, 'out'),
        data: [join(root, 'data/raw')],
      });
      await tagRuns('v1', [join(root, 'out')], { session });
      const bare = tempDir('lockstep-bare-');
      gitIn(bare, 'init', '-q', '--bare');
      const store = join(tempDir('lockstep-rclone-'), 'store');
      await pushTag('v1', { repo: root, git: bare, data: store, cache: false });
      const manifestPath = join(store, 'tags', 'v1.yml');
      const original = readFileSync(manifestPath, 'utf8');
      const manifest = parse(original) as { locks: Record<string, { path: string; hash: string; size: number }[]> };
      const [id, files] = Object.entries(manifest.locks)[0] as [string, { path: string; hash: string; size: number }[]];
      const good = files[0] as { path: string; hash: string; size: number };

      const parent = tempDir('lockstep-pull-');
      const attempts: [string, object][] = [
        ['path', { ...good, path: '../escape.txt' }],
        ['hash', { ...good, path: 'data/copied.txt', hash: 'xxh3:../../../../etc/hostname' }],
        ['path', { ...good, path: 'data/../../escape2.txt' }],
      ];
      for (const [field, entry] of attempts) {
        writeFileSync(manifestPath, stringify({ ...manifest, locks: { [id]: [...files, entry] } }));
        const into = join(parent, `checkout-${field}-${Math.random().toString(36).slice(2)}`);
        await assert.rejects(
          pullTag('v1', { git: bare, data: store, into }),
          (e) =>
            isLockstepError(e, 'E_INPUT') &&
            new RegExp(`manifest of tag v1: locks\\.${id}\\.\\d+\\.${field}`).test(e.message),
        );
        assert.equal(existsSync(join(into, 'data')), false, 'no data was copied');
      }
      assert.deepEqual(
        readdirSync(parent).filter((n) => !n.startsWith('checkout-')),
        [],
        'nothing was written next to the checkouts',
      );
      writeFileSync(manifestPath, original);
      const ok = await pullTag('v1', { git: bare, data: store, into: join(parent, 'fine') });
      assert.ok(ok.ok);

      // a tag whose lock names data outside the checkout: refused before verify reads it
      const lockFile = join(root, 'out', 'run.lock');
      writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace(/path: data\/raw/, 'path: ../../../etc'));
      await tagRuns('v2', [join(root, 'out')], { session });
      await pushTag('v2', { repo: root, git: bare, cache: false });
      await assert.rejects(
        pullTag('v2', { git: bare, into: join(parent, 'v2') }),
        (e) => isLockstepError(e, 'E_INPUT') && /lock .* data path "\.\.\/\.\.\/\.\.\/etc" escapes/.test(e.message),
      );
    } finally {
      await session.close();
    }
  });

  test('a tampered dataset digest or name cannot make fetch delete or write another directory', async () => {
    const dir = tempDir();
    const session = await createSession(join(dir, 'd.db'));
    try {
      const victim = join(dir, 'victim');
      mkdirSync(victim);
      writeFileSync(join(victim, 'keep.txt'), 'precious');
      const data = join(dir, 'data');
      mkdirSync(data);
      writeFileSync(join(data, 'a.csv'), 'x\n1\n');
      await session.datasets.register('tree', data);
      await session.datasets.register('single', join(data, 'a.csv'));
      // the cache lives in <dir>/.lockstep/cache/trees: climb to the victim from there
      await session.query("UPDATE datasets SET digest = '../../../victim' WHERE name = 'tree'");
      await assert.rejects(session.datasets.fetch('tree'), (e) => isLockstepError(e, 'E_CODEC'));
      await session.query("UPDATE datasets SET name = '../../../../victim2' WHERE name = 'single'");
      await assert.rejects(
        session.datasets.fetch('../../../../victim2'),
        (e) => isLockstepError(e, 'E_INPUT') && /cached file name/.test(e.message),
      );
      assert.equal(readFileSync(join(victim, 'keep.txt'), 'utf8'), 'precious');
      assert.equal(existsSync(join(dir, 'victim2.csv')), false);
    } finally {
      await session.close();
    }
  });
});
