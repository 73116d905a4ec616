// The server's metric points writer: on a SQLite file a thread of its own with
// a second connection, elsewhere the group commit in the server's thread.
// Either way every request's points are stored once (a key repeated at the
// same moment wins once), a bad request fails alone, and closing finishes
// what was submitted.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession, type Session } from '../../src/index.ts';
import { seen } from '../../src/server/idempotency.ts';
import { GroupWriter } from '../../src/server/native/group-commit.ts';
import { packPoints } from '../../src/server/native/point-batch.ts';
import { closePointWriter, pointWriter, WorkerWriter } from '../../src/server/native/point-writer.ts';
import { backends, freshSession, tempDir } from '../helpers.ts';

const points = (n: number, key: string, step = (i: number) => i) =>
  packPoints(
    Array.from({ length: n }, (_, i) => ({ key, value: i / 7, step: step(i), timestamp: 1_700_000_000_000 + i })),
  );

async function exercise(s: Session): Promise<void> {
  const driver = s.store.driver;
  const exp = await s.createExperiment('pw');
  exp.addRun({ x: 1 });
  await exp.persist();
  const runId = exp.runs.toArray()[0]?.id as string;
  await seen(driver, 'make-the-table'); // the server checks a key before it submits: that makes request_keys
  const writer = pointWriter(driver);
  // 40 requests at once, each key sent twice (a retry racing its original), one with an impossible step
  const jobs = Array.from({ length: 40 }, (_, i) => ({
    experimentId: exp.id,
    runId,
    key: `request-${i % 20}`,
    points: points(250, `k${i % 20}`),
  }));
  const bad = { experimentId: exp.id, runId, key: 'bad', points: points(10, 'bad', () => Number.NaN) };
  const results = await Promise.allSettled([...jobs, bad].map((j) => writer.submit(j)));
  const byKey = new Map<string, boolean[]>();
  results.slice(0, 40).forEach((r, i) => {
    assert.equal(r.status, 'fulfilled');
    const key = jobs[i]?.key as string;
    byKey.set(key, [...(byKey.get(key) ?? []), (r as PromiseFulfilledResult<boolean>).value]);
  });
  for (const [key, written] of byKey) assert.deepEqual(written.filter(Boolean).length, 1, key);
  assert.equal(results[40]?.status, 'rejected', 'the bad request fails, alone');
  const count = async () =>
    Number((await driver.all('SELECT COUNT(*) AS n FROM metrics WHERE experiment_id = ?', [exp.id]))[0]?.n);
  assert.equal(await count(), 20 * 250);
  // values come back exact
  const [row] = await driver.all(`SELECT value, step FROM metrics WHERE key = 'k3' AND step = 6`);
  assert.deepEqual([Number(row?.value), Number(row?.step)], [6 / 7, 6]);
  // closing writes what is queued; a later write starts the writer again
  const last = writer.submit({ experimentId: exp.id, runId, key: 'after', points: points(5, 'late') });
  await closePointWriter(driver);
  assert.equal(await last, true);
  assert.equal(
    await pointWriter(driver).submit({ experimentId: exp.id, runId, key: 'again', points: points(5, 'again') }),
    true,
  );
  await closePointWriter(driver);
  assert.equal(await count(), 20 * 250 + 10);
}

describe('the metric points writer', () => {
  it('writes on a thread of its own for a SQLite file', async () => {
    const s = await createSession(join(tempDir(), 'points.db'));
    try {
      assert.ok(pointWriter(s.store.driver) instanceof WorkerWriter);
      await exercise(s);
    } finally {
      await s.close();
    }
  });

  it('writes in the server thread for an in-memory SQLite database', async () => {
    const s = await createSession('sqlite::memory:');
    try {
      assert.ok(pointWriter(s.store.driver) instanceof GroupWriter);
      await exercise(s);
    } finally {
      await s.close();
    }
  });

  for (const backend of backends().filter((b) => b.name === 'postgres')) {
    after(() => backend.cleanup());
    it('writes in the server thread on PostgreSQL', async (t) => {
      const s = await freshSession(backend);
      if (!s) return t.skip('PostgreSQL unavailable');
      try {
        assert.ok(pointWriter(s.store.driver) instanceof GroupWriter);
        await exercise(s);
      } finally {
        await s.close();
      }
    });
  }
});
