// GET /api/v1/locks, what the lineage page draws: an empty list on a database
// where nothing was ever locked (no 400 from a missing table), else the locks
// oldest first with the previous stages each consumed, on both backends.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lock } from '../../src/index.ts';
import { createServer } from '../../src/server/index.ts';
import { backends, tempDir, withFreshSession } from '../helpers.ts';

for (const backend of backends()) {
  describe(`the locks API on ${backend.name}`, () => {
    after(() => backend.cleanup());

    it('answers an empty list before any lock, then the lineage oldest first', async () => {
      await withFreshSession(backend, async (s) => {
        const app = await createServer({ session: s, uiRoot: false });
        try {
          const get = async (url: string) => {
            const res = await app.inject({ url });
            assert.equal(res.statusCode, 200, res.body);
            return res.json() as {
              locks: { name: string; prevs: string[]; id: string; active: boolean }[];
              truncated: boolean;
            };
          };
          assert.deepEqual(await get('/api/v1/locks'), { locks: [], truncated: false });

          const work = tempDir('lockstep-locks-api-');
          writeFileSync(join(work, 'data.csv'), 'a\n1\n');
          const common = { store: s, repos: [], cache: false as const };
          const prep = await lock({
            ...common,
            path: join(work, 'prep'),
            name: 'prepare',
            data: [join(work, 'data.csv')],
          });
          await lock({
            ...common,
            path: join(work, 'train'),
            name: 'train',
            prevs: [join(work, 'prep')],
            config: { k: 1 },
          });
          const train = await lock({
            ...common,
            path: join(work, 'train'),
            name: 'train',
            prevs: [join(work, 'prep')],
            config: { k: 2 },
          });
          const all = await get('/api/v1/locks');
          assert.deepEqual(
            all.locks.map((l) => [l.name, l.active]),
            [
              ['prepare', true],
              ['train', false],
              ['train', true],
            ],
          );
          assert.deepEqual(all.locks[2]?.prevs, [prep.lock.id]);
          assert.equal(all.locks[2]?.id, train.lock.id);
          const newest = await get('/api/v1/locks?limit=2');
          assert.equal(newest.truncated, true);
          assert.deepEqual(newest.locks.map((l) => l.id).at(-1), train.lock.id);
          assert.equal((await app.inject({ url: '/api/v1/locks?limit=0' })).statusCode, 400);
        } finally {
          await app.close();
        }
      });
    });
  });
}
