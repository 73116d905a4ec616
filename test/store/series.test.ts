// Downsampling a metric series in the database (what the run page's chart
// asks for): the answer holds real points only, the first and last, and the
// smallest and largest value of every step bucket, on both backends.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { downsampleSeries, readSeries, type SeriesPoint } from '../../src/store/series.ts';
import { backends, withFreshSession } from '../helpers.ts';

/** A deterministic pseudo-random sequence (no flaky inputs). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every property of a downsampled answer, checked against the full series. */
function check(all: SeriesPoint[], got: SeriesPoint[], maxPoints: number, lo: number, hi: number): void {
  const buckets = Math.floor((maxPoints - 2) / 2);
  const span = hi - lo + 1;
  const key = (p: SeriesPoint) => `${p.step}/${p.timestamp}/${p.value}`;
  const real = new Set(all.map(key));
  assert.ok(got.length <= maxPoints, `${got.length} points for maxPoints ${maxPoints}`);
  for (const p of got) assert.ok(real.has(key(p)), `not a logged point: ${key(p)}`);
  assert.deepEqual(got[0], all[0]);
  assert.equal(got.at(-1)?.step, all.at(-1)?.step);
  for (let i = 1; i < got.length; i++) assert.ok((got[i] as SeriesPoint).step >= (got[i - 1] as SeriesPoint).step);
  const bucketOf = (s: number) => Math.floor(((s - lo) * buckets) / span);
  const extremes = new Map<number, { min: number; max: number }>();
  for (const p of all) {
    if (p.value === null || Number.isNaN(p.value)) continue;
    const b = bucketOf(p.step);
    const e = extremes.get(b) ?? { min: Infinity, max: -Infinity };
    extremes.set(b, { min: Math.min(e.min, p.value), max: Math.max(e.max, p.value) });
  }
  for (const [b, e] of extremes) {
    const inBucket = got.filter((p) => bucketOf(p.step) === b).map((p) => p.value);
    assert.ok(inBucket.includes(e.min), `bucket ${b} lacks its minimum ${e.min}`);
    assert.ok(inBucket.includes(e.max), `bucket ${b} lacks its maximum ${e.max}`);
  }
}

for (const backend of backends()) {
  describe(`metric series downsampling on ${backend.name}`, () => {
    after(() => backend.cleanup());

    it('keeps the first, the last and every bucket extreme, and counts every point', async () => {
      await withFreshSession(backend, async (s) => {
        const exp = await s.createExperiment('series');
        exp.addRun({ x: 1 });
        const r = rng(7);
        await exp.execute((run) => {
          // dense: 20,000 steps of noise with spikes up and down
          for (let i = 0; i < 20_000; i++) {
            const spike = i % 2777 === 0 ? 50 : i % 3001 === 0 ? -50 : 0;
            run.log('dense', Math.sin(i / 300) + r() * 0.1 + spike, i);
          }
          // sparse and irregular: gaps, repeated steps, a NaN and infinities
          let step = 5;
          for (let i = 0; i < 3000; i++) {
            step += Math.floor(r() * 40);
            const v = i === 100 ? Number.NaN : i === 200 ? Number.POSITIVE_INFINITY : r() * 10 - 5;
            run.log('sparse', v, step);
          }
          for (let i = 0; i < 10; i++) run.log('short', i * 2, i);
        });
        const id = exp.runs.toArray()[0]?.id as string;
        const ref = (key: string, minStep?: number, maxStep?: number) => ({
          experimentId: exp.id,
          runId: id,
          key,
          minStep,
          maxStep,
        });
        const store = s.store.driver;

        const dense = await readSeries(store, ref('dense'));
        assert.equal(dense.length, 20_000);
        const thin = await downsampleSeries(store, ref('dense'), 2000);
        assert.equal(thin.downsampled, true);
        assert.equal(thin.total, 20_000);
        check(dense, thin.points, 2000, 0, 19_999);
        assert.ok(thin.points.some((p) => p.value !== null && p.value > 49));
        assert.ok(thin.points.some((p) => p.value !== null && p.value < -49));

        // a zoomed range, and a tiny maxPoints
        const part = await readSeries(store, ref('dense', 5000, 9000));
        const zoom = await downsampleSeries(store, ref('dense', 5000, 9000), 100);
        assert.equal(zoom.total, 4001);
        check(part, zoom.points, 100, 5000, 9000);
        check(dense, (await downsampleSeries(store, ref('dense'), 4)).points, 4, 0, 19_999);

        const sparse = await readSeries(store, ref('sparse'));
        const sparseThin = await downsampleSeries(store, ref('sparse'), 300);
        assert.equal(sparseThin.total, 3000);
        check(sparse, sparseThin.points, 300, sparse[0]?.step as number, sparse.at(-1)?.step as number);
        assert.ok(sparseThin.points.some((p) => p.value === Number.POSITIVE_INFINITY));

        // a series that fits comes back whole
        const short = await downsampleSeries(store, ref('short'), 2000);
        assert.deepEqual(
          { downsampled: short.downsampled, total: short.total, values: short.points.map((p) => p.value) },
          { downsampled: false, total: 10, values: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18] },
        );
        assert.deepEqual(await downsampleSeries(store, ref('missing'), 2000), {
          points: [],
          total: 0,
          downsampled: false,
        });
      });
    });
  });
}
