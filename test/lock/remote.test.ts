import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gcLocks } from '../../src/lock/gc.ts';
import { lock } from '../../src/lock/lock.ts';
import { pullTag } from '../../src/lock/pull.ts';
import { pushTag } from '../../src/lock/push.ts';
import { readTag, tagRuns } from '../../src/lock/tag.ts';
import { backends, freshSession, tempDir } from '../helpers.ts';
import { gitIn, makeRepo, write } from './fixtures.ts';

/** Every file under a directory, recursively, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

for (const backend of backends()) {
  describe(`tag, push, pull, gc (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a tag pins runs and lineage; push and pull restore code and data, verified; gc keeps what tags reach', async (t) => {
      const session = await freshSession(backend);
      if (!session) return t.skip('backend unavailable');
      try {
        const root = makeRepo();
        const opts = { repos: [root], store: session, cache: false as const };
        const prep = await lock({
          ...opts,
          path: join(root, 'results/prep'),
          name: 'prep',
          data: [join(root, 'data/raw')],
        });
        write(root, 'results/prep/features.csv', 'f\n1\n2\n');
        write(root, 'src/train.ts', 'export const lr = 0.5; // not committed\n');
        const train = await lock({
          ...opts,
          path: join(root, 'results/train'),
          name: 'train',
          data: [join(root, 'results/prep/features.csv')],
        });
        assert.deepEqual(
          train.lock.prevs.map((p) => p.id),
          [prep.lock.id],
        );
        const captured = train.lock.repos[0]?.captured as string;

        const tag = await tagRuns('v1', [join(root, 'results/train')], { session });
        assert.deepEqual(
          tag.locks.map((l) => l.name),
          ['train', 'prep'],
        );
        assert.ok(tag.code.includes(captured));
        assert.equal(gitIn(root, 'rev-parse', 'refs/lockstep/tags/v1'), tag.commit);
        await assert.rejects(tagRuns('v1', [join(root, 'results/train')], { session }), /exists/);
        const read = await readTag(root, 'v1');
        assert.deepEqual(
          read.locks.map((l) => l.id),
          [train.lock.id, prep.lock.id],
        );

        const bare = tempDir('lockstep-bare-');
        gitIn(bare, 'init', '-q', '--bare');
        const store = join(tempDir('lockstep-rclone-'), 'store');
        const pushed = await pushTag('v1', { repo: root, git: bare, data: store, cache: false });
        assert.equal(pushed.files, 3); // a.csv, b.csv, features.csv
        assert.equal(gitIn(bare, 'rev-parse', 'refs/lockstep/tags/v1'), tag.commit);
        assert.equal(gitIn(bare, 'cat-file', '-t', captured), 'commit');
        assert.equal(walk(join(store, 'blobs')).length, 3);

        const into = join(tempDir('lockstep-pull-'), 'checkout');
        const pulled = await pullTag('v1', { git: bare, data: store, into });
        assert.equal(pulled.commit, captured);
        assert.equal(pulled.files, 3);
        assert.equal(readFileSync(join(into, 'src/train.ts'), 'utf8'), 'export const lr = 0.5; // not committed\n');
        assert.equal(readFileSync(join(into, 'data/raw/b.csv'), 'utf8'), 'x,y\n3,4\n');
        assert.equal(readFileSync(join(into, 'results/prep/features.csv'), 'utf8'), 'f\n1\n2\n');
        assert.ok(pulled.ok, JSON.stringify(pulled.verified.map((v) => v.drift)));
        assert.deepEqual(
          pulled.verified.flatMap((v) => v.drift.filter((d) => d.section === 'data')),
          [],
        );

        // a corrupted blob on the remote is caught by the verification
        const blob = walk(join(store, 'blobs')).map((p) => join(store, 'blobs', p))[0] as string;
        writeFileSync(blob, 'tampered');
        const bad = await pullTag('v1', { git: bare, data: store, into: join(tempDir(), 'c2') });
        assert.equal(bad.ok, false);
        assert.ok(bad.verified.some((v) => v.drift.some((d) => d.section === 'data')));

        // gc: a superseded, untagged run's private ref goes; tagged and active ones stay
        write(root, 'src/train.ts', 'export const lr = 0.7;\n');
        const old = await lock({ ...opts, path: join(root, 'results/other') });
        write(root, 'src/train.ts', 'export const lr = 0.8;\n');
        const current = await lock({ ...opts, path: join(root, 'results/other') });
        const oldRef = old.lock.repos[0]?.ref as string;
        const dry = await gcLocks({ repo: root, session, dryRun: true });
        assert.deepEqual(dry.refs, [oldRef]);
        assert.equal(gitIn(root, 'rev-parse', oldRef), old.lock.repos[0]?.captured);
        const done = await gcLocks({ repo: root, session });
        assert.deepEqual(done.refs, [oldRef]);
        assert.throws(() => gitIn(root, 'rev-parse', '--verify', '-q', oldRef));
        assert.equal(gitIn(root, 'rev-parse', current.lock.repos[0]?.ref as string), current.lock.repos[0]?.captured);
        assert.equal(gitIn(root, 'rev-parse', train.lock.repos[0]?.ref as string), captured);
        // --run-dirs: untagged run directories go too (and then their refs); tagged ones stay
        const dirs = await gcLocks({ repo: root, session, runDirs: true, dryRun: true });
        assert.deepEqual(dirs.runDirs, [join(root, 'results/other')]);
        assert.deepEqual(dirs.refs, [current.lock.repos[0]?.ref]);
        const removed = await gcLocks({ repo: root, session, runDirs: true });
        assert.equal(existsSync(join(root, 'results/other')), false);
        assert.equal(existsSync(join(root, 'results/train/run.lock')), true);
        assert.deepEqual(removed.refs, [current.lock.repos[0]?.ref]);
      } finally {
        await session.close();
      }
    });
  });
}
