import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { EXTRA_CLAIMS } from '../../src/exec/queue/queue.ts';
import { steps } from '../../src/exec/steps.ts';
import { createSession, isLockstepError } from '../../src/index.ts';
import { backends, freshSession, postgresAvailable } from '../helpers.ts';

const FIXTURE = new URL('./fixtures/steps.ts', import.meta.url).href;
const BIN = new URL('../../bin/lockstep.js', import.meta.url).pathname;
const RUNS = 40;

function startWorker(url: string) {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--db', url, '--experiment', 'queued', '--lease', '2', '--poll', '0.2', '--exit-when-empty'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

for (const backend of backends()) {
  describe(`lockstep worker processes on ${backend.name}`, () => {
    after(() => backend.cleanup());

    it('4 workers, one killed with kill -9 mid-run: every run finishes exactly once', async (t) => {
      const url = await backend.fresh();
      const s = await freshSessionAt(backend, url);
      if (!s) return;
      try {
        const exp = await s.createExperiment('queued');
        exp.addRuns({ x: Array.from({ length: RUNS }, (_, i) => i) });
        const queued = await exp.execute(steps(FIXTURE, 'sleepy', 'square'), {
          backend: 'queue',
          wait: false,
          config: { ms: 250 },
        });
        assert.equal(queued.notRun, RUNS, 'enqueued, not executed');

        const workers = Array.from({ length: 4 }, () => startWorker(url));
        const victim = workers[0] as ReturnType<typeof startWorker>;
        const pid = victim.child.pid as number;
        // Kill the victim while it holds a run (it claimed it and has not finished it).
        const deadline = Date.now() + 60_000;
        for (;;) {
          const held = await s.query(
            `SELECT COUNT(*) AS n FROM exec_queue WHERE state = 'claimed' AND worker LIKE ${s.dialect === 'sqlite' ? '?' : '$1'}`,
            [`%:${pid}:%`],
          );
          if (Number(held[0]?.n) > 0) break;
          if (victim.child.exitCode !== null) assert.fail(`the victim exited early: ${victim.stderr()}`);
          if (Date.now() > deadline) assert.fail('the victim never claimed a run');
          await new Promise((r) => setTimeout(r, 20));
        }
        victim.child.kill('SIGKILL');
        assert.equal(await victim.exited, null);
        for (const w of workers.slice(1)) assert.equal(await w.exited, 0, w.stderr());

        await exp.reload();
        const runs = exp.runs.toArray();
        assert.equal(runs.length, RUNS);
        assert.ok(
          runs.every((r) => r.status === 'done'),
          'every run is done',
        );
        for (const r of runs) assert.equal(r.fields.y, (r.params.x as number) ** 2);
        const [row] = await s.query('SELECT COUNT(*) AS n, COUNT(DISTINCT params_key) AS k FROM experiment_queued');
        assert.deepEqual([Number(row?.n), Number(row?.k)], [RUNS, RUNS], 'one stored row per run');
        // Each execution logs one "loss" point; a run written twice would have two.
        const [points] = await s.query(
          `SELECT COUNT(*) AS n, COUNT(DISTINCT run_id) AS r FROM metrics WHERE experiment_id = ${s.dialect === 'sqlite' ? '?' : '$1'}`,
          [exp.id],
        );
        assert.deepEqual([Number(points?.n), Number(points?.r)], [RUNS, RUNS], 'each run was written exactly once');
        const queue = await s.query(`SELECT state, attempts, worker FROM exec_queue`);
        assert.equal(queue.length, RUNS);
        assert.ok(queue.every((q) => q.state === 'done'));
        const reclaimed = queue.filter((q) => Number(q.attempts) >= 2);
        assert.ok(reclaimed.length >= 1, 'the killed worker held a run that another worker reclaimed');
        // A reclaimed run is stored by the worker that finished it, never by the killed one.
        for (const q of reclaimed) assert.ok(!String(q.worker).includes(`:${pid}:`));
        const pids = new Set(runs.map((r) => r.fields.pid));
        t.diagnostic(
          `runs by ${pids.size} workers; ${reclaimed.length} run(s) reclaimed after the killed worker's lease expired`,
        );
      } finally {
        await s.close();
      }
    });

    it('a worker serving every experiment fails a run that killed each of its workers, and exits', async () => {
      const url = await backend.fresh();
      const s = await freshSessionAt(backend, url);
      if (!s) return;
      try {
        const exp = await s.createExperiment('deadly');
        exp.addRun({ x: 1 });
        await exp.execute(steps(FIXTURE, 'killsItsWorker'), { backend: 'queue', wait: false });
        const worker = () =>
          spawn(
            process.execPath,
            [BIN, 'worker', '--db', url, '--lease', '0.5', '--poll', '0.1', '--exit-when-empty'],
            {
              stdio: ['ignore', 'ignore', 'pipe'],
            },
          );
        // each claim kills its worker; no --experiment: the worker serves any experiment
        for (let i = 0; i < EXTRA_CLAIMS; i++) {
          const w = worker();
          const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
            w.on('exit', (c, sig) => r([c, sig])),
          );
          assert.equal(signal, 'SIGKILL', `claim ${i + 1} killed its worker (exit ${code})`);
        }
        const last = worker();
        const exit = await Promise.race([
          new Promise<number | null>((r) => last.on('exit', (c) => r(c))),
          new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
        ]);
        if (exit !== 0) last.kill('SIGKILL');
        assert.equal(exit, 0, 'the last worker ends the run and exits when the queue is empty');
        await exp.reload();
        const run = exp.runs.first();
        assert.equal(run.status, 'failed');
        assert.match(
          run.error?.message ?? '',
          /its worker stopped answering \(lease expired\) on each of its 3 attempts/,
        );
      } finally {
        await s.close();
      }
    });

    it('refuses plain functions for the queue, before enqueueing', async () => {
      const s = await freshSession(backend);
      if (!s) return;
      try {
        const exp = await s.createExperiment('plainq');
        exp.addRuns({ x: [1, 2] });
        await assert.rejects(
          exp.execute((run) => void run, { backend: 'queue', wait: false }),
          (e) => isLockstepError(e, 'E_INPUT') && /lockstep worker processes/.test(e.message),
        );
      } finally {
        await s.close();
      }
    });

    it('execute({ backend: "queue" }) waits for running workers and reads the results back', async () => {
      const url = await backend.fresh();
      const s = await freshSessionAt(backend, url);
      if (!s) return;
      const workers: ReturnType<typeof spawn>[] = [];
      try {
        const exp = await s.createExperiment('waited');
        exp.addRuns({ x: Array.from({ length: 12 }, (_, i) => i) });
        // Long-running workers (no --exit-when-empty) started before anything is queued.
        for (let i = 0; i < 2; i++) {
          workers.push(
            spawn(
              process.execPath,
              [BIN, 'worker', '--db', url, '--experiment', 'waited', '--poll', '0.2', '--quiet'],
              {
                stdio: 'ignore',
              },
            ),
          );
        }
        const sum = await exp.execute(steps(FIXTURE, 'square', 'failOdd'), { backend: 'queue', quiet: true });
        assert.equal(sum.done, 6);
        assert.equal(sum.failed, 6);
        assert.match(sum.failures[0]?.message ?? '', /odd x=/);
        for (const run of exp.runs) {
          assert.equal(run.fields.y, (run.params.x as number) ** 2, 'fields are read back into the runs');
          assert.equal(run.status, (run.params.x as number) % 2 ? 'failed' : 'done');
        }
        assert.ok(exp.runs.toArray().some((r) => r.fields.pid !== process.pid));
      } finally {
        const exits = workers.map((w) => new Promise((r) => w.on('exit', r)));
        for (const w of workers) w.kill('SIGTERM');
        await Promise.all(exits);
        await s.close();
      }
    });
  });
}

async function freshSessionAt(backend: ReturnType<typeof backends>[number], url: string) {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  return createSession(url);
}
