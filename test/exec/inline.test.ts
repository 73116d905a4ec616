import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Progress, type ProgressState, progressLine } from '../../src/exec/progress.ts';
import { steps } from '../../src/exec/steps.ts';
import { isLockstepError, type Run, type Session } from '../../src/index.ts';
import { backends, capture, withFreshSession } from '../helpers.ts';

const FIXTURE = new URL('./fixtures/steps.ts', import.meta.url).href;

describe('progress', () => {
  it('prints plain lines without a terminal, and nothing when quiet', () => {
    const out = capture();
    const p = new Progress(10, { stream: out.stream, delayMs: 0, lineEveryMs: 0, progress: 'lines' });
    for (let i = 0; i < 64; i++) p.tick(i % 16 === 0);
    p.stop();
    assert.match(out.text(), /lockstep: 64\/10 runs, 4 failed, [\d.]+ runs\/s, ETA/);
    assert.match(out.text(), /\(finished\)\n$/);
    const quiet = capture();
    const q = new Progress(10, { stream: quiet.stream, delayMs: 0, lineEveryMs: 0, quiet: true });
    for (let i = 0; i < 64; i++) q.tick(false);
    q.stop();
    assert.equal(quiet.text(), '');
  });

  it('stays silent for executions shorter than its delay', () => {
    const out = capture();
    const p = new Progress(100, { stream: out.stream, progress: 'lines' });
    for (let i = 0; i < 100; i++) p.tick(false);
    p.stop();
    assert.equal(out.text(), '');
  });

  it('formats a line with rate and ETA', () => {
    const line = progressLine({ total: 100, done: 25, failed: 1, rate: 5, etaSeconds: 15, elapsedMs: 5000 });
    assert.equal(line, 'lockstep: 25/100 runs, 1 failed, 5.0 runs/s, ETA 15 s');
  });
});

for (const backend of backends()) {
  describe(`inline execution on ${backend.name}`, () => {
    after(() => backend.cleanup());
    const withSession = (fn: (s: Session) => Promise<void>) => withFreshSession(backend, fn);

    it('retries a failing run inline and counts the extra attempts', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('retry');
        exp.addRuns({ x: [1, 2, 3] });
        const seen = new Map<unknown, number>();
        const flaky = (run: Run) => {
          const n = (seen.get(run.params.x) ?? 0) + 1;
          seen.set(run.params.x, n);
          if (n < 3) throw new Error(`attempt ${n}`);
          run.fields.n = n;
        };
        const sum = await exp.execute(flaky, { retries: 2 });
        assert.equal(sum.done, 3);
        assert.equal(sum.retried, 6);
        const rows = await s.query('SELECT n FROM experiment_retry');
        assert.deepEqual(
          rows.map((r) => Number(r.n)),
          [3, 3, 3],
        );
      }));

    it('times out an awaiting step inline', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('slow');
        exp.addRuns({ ms: [1, 30_000] });
        const sum = await exp.execute(
          async (run) => {
            await new Promise((r) => setTimeout(r, run.params.ms as number).unref());
            run.fields.ok = true;
          },
          { timeoutMs: 300 },
        );
        assert.equal(sum.done, 1);
        assert.equal(sum.failed, 1);
        assert.deepEqual(sum.failures[0]?.params, { ms: 30_000 });
        assert.match(sum.failures[0]?.message ?? '', /timed out after 300 ms/);
      }));

    it('takes steps given as module references inline too', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('refs');
        exp.addRuns({ x: [2, 3] });
        const sum = await exp.execute(steps(FIXTURE, 'square', 'offset'), { config: { offset: 1 } });
        assert.equal(sum.done, 2);
        assert.deepEqual(
          exp.runs.map((r) => r.fields.z),
          [5, 10],
        );
        assert.equal(exp.runs.first().fields.pid, process.pid, 'jobs: 1 runs in this thread');
      }));

    it('reports progress to a sink given as the progress option', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('sink');
        exp.addRuns({ x: Array.from({ length: 200 }, (_, i) => i) });
        const seen: ProgressState[] = [];
        let last: ProgressState | undefined;
        await exp.execute(
          (run) => {
            if ((run.params.x as number) % 50 === 0) throw new Error('every 50th');
          },
          { progress: { update: (p) => seen.push(p), stop: (p) => (last = p) } },
        );
        assert.ok(seen.length >= 1, 'updated while running');
        assert.ok(seen.every((p) => p.total === 200 && p.done > 0 && p.done <= 200));
        assert.deepEqual([last?.done, last?.failed, last?.total], [200, 4, 200]);
      }));

    it('rejects bad options before running anything', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('opts');
        exp.addRuns({ x: [1] });
        const step = (run: Run) => void run;
        for (const [options, pattern] of [
          [{ jobs: 0 }, /jobs must be a whole number/],
          [{ jobs: 1.5 }, /jobs must be a whole number/],
          [{ retries: -1 }, /retries must be/],
          [{ timeoutMs: 0 }, /timeoutMs must be/],
          [{ backend: 'cloud' }, /backend must be/],
          [{ isolate: 'vm' }, /isolate must be/],
        ] as const) {
          await assert.rejects(
            exp.execute(step, options as never),
            (e) => isLockstepError(e, 'E_INPUT') && pattern.test(e.message),
          );
        }
        assert.equal(exp.runs.first().status, 'pending');
        await assert.rejects(
          exp.execute(steps(FIXTURE, 'missing')),
          (e) => isLockstepError(e, 'E_INPUT') && /no exported function "missing"/.test(e.message),
        );
      }));
  });
}
