// `lockstep show` summarises a run's metric series in the database: a run
// with 1,000,000 points once overflowed the stack (Math.min(...values)).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { runMetricKeys, summariseMetrics } from '../../src/store/metric-summary.ts';
import { backends, runCli, tempDir, withFreshSession } from '../helpers.ts';

describe('lockstep show with a long series', () => {
  it('summarises a run of 1,000,000 points: count, last, min, max', { timeout: 120_000 }, async () => {
    const db = join(tempDir(), 'long.db');
    const s = await createSession(db);
    const exp = await s.createExperiment('long');
    const run = await exp.run({ n: 1 }, (r) => {
      for (let i = 0; i < 1_000_000; i++) r.log('loss', 1 / (i + 1), i);
      r.log('acc', 0.5, 0);
    });
    await s.close();
    const out = await runCli(['show', 'long', run.id.slice(0, 8), '--db', db, '--json']);
    assert.equal(out.code, 0, out.stderr);
    const { metrics } = JSON.parse(out.stdout);
    assert.deepEqual(metrics, [
      { key: 'acc', points: 1, last: 0.5, min: 0.5, max: 0.5 },
      { key: 'loss', points: 1_000_000, last: 1e-6, min: 1e-6, max: 1 },
    ]);
  });
});

for (const backend of backends()) {
  describe(`metric summaries (${backend.name})`, () => {
    it('last is the value of the highest step, then the latest timestamp; an attempt replaced is not counted', async () => {
      await withFreshSession(backend, async (s) => {
        const exp = await s.createExperiment('m');
        const run = await exp.run({ a: 1 }, async (r) => {
          r.log('x', 3, 2);
          r.log('x', 1, 0);
          await new Promise((done) => setTimeout(done, 5));
          r.log('x', 7, 2); // the same step, later: the last value
          r.log('x', -2, 1);
          r.log('y', 4);
        });
        const rows = await summariseMetrics(s.store.driver, exp.id, run.id);
        assert.deepEqual(rows, [
          { key: 'x', points: 4, last: 7, min: -2, max: 7 },
          { key: 'y', points: 1, last: 4, min: 4, max: 4 },
        ]);
        assert.deepEqual(await summariseMetrics(s.store.driver, exp.id, 'no-such-run'), []);
      });
    });

    it("a run's metric keys come sorted, its own only, by a seek per key", async () => {
      await withFreshSession(backend, async (s) => {
        const exp = await s.createExperiment('k');
        const run = await exp.run({ a: 1 }, (r) => {
          for (const key of ['val/loss', 'acc', 'Loss', 'loss', 'z']) for (let i = 0; i < 3; i++) r.log(key, i, i);
        });
        await exp.run({ a: 2 }, (r) => r.log('other', 1));
        const empty = await exp.run({ a: 3 }, (r) => {
          r.fields.none = true;
        });
        const rows = await s.store.driver.all<{ key: string }>(
          'SELECT DISTINCT key FROM metrics WHERE experiment_id = ? AND run_id = ? ORDER BY key',
          [exp.id, run.id],
        );
        assert.deepEqual(
          rows.map((r) => r.key),
          await runMetricKeys(s.store.driver, exp.id, run.id),
          'the same keys, in the same order, as DISTINCT',
        );
        assert.deepEqual([...(await runMetricKeys(s.store.driver, exp.id, run.id))].sort(), [
          'Loss',
          'acc',
          'loss',
          'val/loss',
          'z',
        ]);
        assert.deepEqual(await runMetricKeys(s.store.driver, exp.id, empty.id), []);
      });
    });
  });
}
