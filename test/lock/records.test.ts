import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { diffLocks } from '../../src/lock/diff.ts';
import { lock } from '../../src/lock/lock.ts';
import { listLocks } from '../../src/lock/records.ts';
import { lineage, resolveLock } from '../../src/lock/resolve.ts';
import { backends, freshSession } from '../helpers.ts';
import { makeRepo, write } from './fixtures.ts';

for (const backend of backends()) {
  describe(`lock records (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a second lock of the same directory supersedes the first; both stay queryable', async (t) => {
      const session = await freshSession(backend);
      if (!session) return t.skip('backend unavailable');
      try {
        const root = makeRepo();
        const out = join(root, 'results/train');
        const a = await lock({ path: out, config: { lr: 0.1 }, repos: [root], store: session, cache: false });
        const b = await lock({ path: out, config: { lr: 0.2 }, repos: [root], store: session, cache: false });
        const other = await lock({ path: join(root, 'results/eval'), repos: [root], store: session, cache: false });
        const active = await listLocks(session.store.driver);
        assert.deepEqual(active.map((r) => r.id).sort(), [b.lock.id, other.lock.id].sort());
        const all = await listLocks(session.store.driver, { all: true, runDir: out });
        assert.equal(all.length, 2);
        const old = all.find((r) => r.id === a.lock.id);
        assert.equal(old?.active, false);
        assert.equal(old?.supersededBy, b.lock.id);
        assert.deepEqual(old?.lock.config, { lr: 0.1 });
        // plain SQL sees the same records
        const rows = await session.query(
          'SELECT id FROM locks WHERE run_dir = ' + (backend.name === 'sqlite' ? '?' : '$1'),
          [out],
        );
        assert.equal(rows.length, 2);
        // resolvable by id prefix from the store
        const found = await resolveLock(a.lock.id.slice(0, 13), session);
        assert.equal(found.lock.id, a.lock.id);
        assert.equal(found.lock.config.lr, 0.1);
      } finally {
        await session.close();
      }
    });

    test('lineage: explicit prevs and the nearest run.lock above each data path', async (t) => {
      const session = await freshSession(backend);
      if (!session) return t.skip('backend unavailable');
      try {
        const root = makeRepo();
        const prep = await lock({
          path: join(root, 'results/prep'),
          name: 'prep',
          data: [join(root, 'data/raw')],
          repos: [root],
          store: session,
          cache: false,
        });
        write(root, 'results/prep/out/features.csv', 'f\n1\n');
        const feat = await lock({
          path: join(root, 'results/feat'),
          name: 'feat',
          repos: [root],
          store: session,
          cache: false,
        });
        const train = await lock({
          path: join(root, 'results/train'),
          name: 'train',
          data: [join(root, 'results/prep/out/features.csv')],
          prevs: [join(root, 'results/feat')],
          repos: [root],
          store: session,
          cache: false,
        });
        assert.deepEqual(train.lock.prevs.map((p) => p.id).sort(), [prep.lock.id, feat.lock.id].sort());
        assert.equal(train.lock.prevs.find((p) => p.id === prep.lock.id)?.path, 'results/prep/run.lock');
        const graph = await lineage(join(root, 'results/train'), session);
        assert.deepEqual(graph.map((n) => n.name).sort(), ['feat', 'prep', 'train']);
        assert.deepEqual(graph.find((n) => n.name === 'train')?.prevs.sort(), [prep.lock.id, feat.lock.id].sort());
        // diff names the changed config, data and lineage keys
        const d = diffLocks(prep.lock, train.lock);
        assert.ok(d.some((r) => r.section === 'data' && r.key === 'data/raw' && r.b === undefined));
        assert.ok(d.some((r) => r.section === 'lineage'));
        assert.ok(!d.some((r) => r.section === 'code'));
      } finally {
        await session.close();
      }
    });
  });
}
