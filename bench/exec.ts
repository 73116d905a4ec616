// Execution overhead and parallel speedup (issue 3): trivial runs executed and
// persisted on a fresh SQLite file, inline and on 2 worker threads, beside a
// plain-JS loop and raw better-sqlite3 writing the same rows (the floors,
// measured in the same run); then a CPU-bound step with jobs 1 versus 2.
// Wall time is what users wait for; CPU time of this process is shown too
// because on a busy machine wall time also counts other processes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { steps } from '../src/exec/steps.ts';
import { createSession } from '../src/index.ts';
import { arithmetic, trivial } from './exec-steps.ts';
import { runRow, sqliteTable } from './raw-rows.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const STEPS_URL = new URL('./exec-steps.ts', import.meta.url).href;
/** `BENCH_EXEC=cpu` or `BENCH_EXEC=overhead` runs one half. */
const PARTS = (process.env.BENCH_EXEC ?? 'overhead,cpu').split(',');

interface Timing {
  wall: number;
  cpu: number;
}

async function timed(fn: () => Promise<void> | void): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

async function medianOf(reps: number, fn: () => Promise<Timing>): Promise<Timing> {
  const xs: Timing[] = [];
  for (let i = 0; i < reps; i++) xs.push(await fn());
  return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) };
}

/** lockstep: addRuns, then execute (which writes as runs finish); timed separately. */
async function lockstep(dir: string, n: number, jobs: number): Promise<{ add: Timing; exec: Timing }> {
  const session = await createSession(join(dir, `${randomUUID()}.db`));
  const exp = await session.createExperiment('bench');
  const add = await timed(() => {
    exp.addRuns({ i: Array.from({ length: n }, (_, i) => i) });
  });
  const exec = await timed(async () => {
    const s = await exp.execute(jobs > 1 ? steps(STEPS_URL, 'trivial') : trivial, { jobs, quiet: true });
    if (s.done !== n) throw new Error(`expected ${n} done runs, got ${s.done}`);
  });
  await session.close();
  return { add, exec };
}

/**
 * The floor: the rows lockstep writes for these runs (its table, columns and
 * indexes: id, status, times, params key, attempt, steps, host, pid,
 * executor, the param and the field) through better-sqlite3 alone.
 */
function rawSqlite(dir: string, n: number): Promise<Timing> {
  const db = new Database(join(dir, `${randomUUID()}.db`));
  const stmt = sqliteTable(db, 't', 'REAL');
  const t = timed(() => {
    db.transaction(() => {
      for (let i = 0; i < n; i++) stmt.run(runRow(i, 1, new Date().toISOString(), '["trivial"]'));
    })();
  });
  return t.finally(() => db.close());
}

/** The other floor: the step called on plain objects, nothing stored. */
function plainLoop(n: number): Promise<Timing> {
  return timed(() => {
    const runs = Array.from({ length: n }, (_, i) => ({ params: { i }, fields: {} as Record<string, unknown> }));
    for (const r of runs) trivial(r as never);
  });
}

/** Square roots that take about `ms` here and now (median of a few tries). */
function calibrate(ms: number): number {
  const probe = 200_000;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    arithmetic(probe);
    times.push(performance.now() - t0);
  }
  return Math.max(1000, Math.round((probe * ms) / median(times)));
}

/**
 * The baseline: the same arithmetic on bare worker_threads (no lockstep, no
 * storage), `runs` split over `threads`. Its speedup is what this machine can
 * give right now; lockstep's is measured against it.
 */
async function rawThreads(threads: number, runs: number, iters: number): Promise<Timing> {
  // the same function as the lockstep step (exec-steps.ts), one call per run
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    function arithmetic(iters) { let acc = 0; for (let i = 0; i < iters; i++) acc += Math.sqrt(i + acc * 1e-9); return acc; }
    let total = 0;
    for (let r = 0; r < workerData.runs; r++) total += arithmetic(workerData.iters);
    parentPort.postMessage(total);`;
  // Started on the clock, as lockstep's pool is: the same work from nothing.
  return timed(() => {
    const workers = Array.from(
      { length: threads },
      (_, t) =>
        new Worker(code, {
          eval: true,
          workerData: { runs: Math.floor(runs / threads) + (t < runs % threads ? 1 : 0), iters },
          stdout: false,
        }),
    );
    return Promise.all(workers.map((w) => new Promise((r) => w.once('message', r)))).then(() => undefined);
  });
}

async function cpuBound(dir: string, jobs: number, runs: number, iters: number): Promise<Timing> {
  const session = await createSession(join(dir, `${randomUUID()}.db`));
  const exp = await session.createExperiment('cpu');
  exp.addRuns({ i: Array.from({ length: runs }, (_, i) => i) });
  const t = await timed(async () => {
    await exp.execute(steps(STEPS_URL, 'cpu'), { jobs, quiet: true, config: { iters } });
  });
  await session.close();
  return t;
}

async function poolStart(dir: string): Promise<Timing> {
  const session = await createSession(join(dir, `${randomUUID()}.db`));
  const exp = await session.createExperiment('start');
  exp.addRun({ i: 0 });
  const t = await timed(async () => {
    await exp.execute(steps(STEPS_URL, 'trivial'), { jobs: 2, quiet: true });
  });
  await session.close();
  return t;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-exec-'));
  try {
    const rows: string[][] = [];
    const row = (name: string, n: number, t: Timing, note = '') =>
      rows.push([name, ms(t.wall), ms(t.cpu), `${((t.wall * 1000) / n).toFixed(2)} µs`, note]);
    for (const n of PARTS.includes('overhead') ? [10_000, 100_000] : []) {
      const reps = n === 10_000 ? REPS : Math.max(1, Math.ceil(REPS / 3));
      const label = n === 10_000 ? '10^4' : '10^5';
      const loop = await medianOf(reps, () => plainLoop(n));
      const rawRows = await medianOf(reps, () => rawSqlite(dir, n));
      row(`${label} plain JS loop`, n, loop);
      row(`${label} raw better-sqlite3, the same rows`, n, rawRows);
      const floor = { wall: loop.wall + rawRows.wall, cpu: loop.cpu + rawRows.cpu };
      row(`${label} floor: loop + raw rows`, n, floor);
      const inline: { add: Timing; exec: Timing }[] = [];
      for (let i = 0; i < reps; i++) inline.push(await lockstep(dir, n, 1));
      const exec = { wall: median(inline.map((x) => x.exec.wall)), cpu: median(inline.map((x) => x.exec.cpu)) };
      const add = { wall: median(inline.map((x) => x.add.wall)), cpu: median(inline.map((x) => x.add.cpu)) };
      row(`${label} lockstep addRuns`, n, add);
      row(
        `${label} lockstep execute + persist, inline`,
        n,
        exec,
        `${(exec.wall / floor.wall).toFixed(2)}× the floor${n === 10_000 ? ' (goal ≤ 1.3×)' : ''}`,
      );
      const pooled = await medianOf(Math.max(1, Math.ceil(reps / 2)), async () => (await lockstep(dir, n, 2)).exec);
      row(`${label} lockstep execute + persist, jobs: 2`, n, pooled, 'includes starting 2 workers');
    }
    const start = await medianOf(3, () => poolStart(dir));
    row(
      'pool start (2 workers, 1 run)',
      1,
      start,
      'TypeScript steps compiled once by the parent; paid once per execute',
    );
    printTable(['case', 'wall', 'cpu (this process)', 'per run', 'note'], rows);
    if (!PARTS.includes('cpu')) return;
    console.log(
      '\nMLtraq, for reference (its paper, a comparable machine): 10^4 runs 777 ms; 10^3 runs on its pool 136 ms\n',
    );

    // the case: 60 runs of about 120 ms, jobs 1 against jobs 2 on two cores, pool start included
    const RUNS = 60;
    const iters = calibrate(120);
    const reps = Math.max(1, Math.ceil(REPS / 2));
    const one = await medianOf(reps, () => cpuBound(dir, 1, RUNS, iters));
    const two = await medianOf(reps, () => cpuBound(dir, 2, RUNS, iters));
    const raw1 = await medianOf(reps, () => rawThreads(1, RUNS, iters));
    const raw2 = await medianOf(reps, () => rawThreads(2, RUNS, iters));
    const bare = raw1.wall / raw2.wall;
    const ours = one.wall / two.wall;
    printTable(
      [`CPU-bound: ${RUNS} runs × ${iters} square roots (~120 ms)`, 'wall', 'speedup over 1'],
      [
        ['baseline: bare worker_threads, 1 thread (start included)', ms(raw1.wall), '1.00×'],
        ['baseline: bare worker_threads, 2 threads (start included)', ms(raw2.wall), `${bare.toFixed(2)}×`],
        ['lockstep jobs: 1 (inline)', ms(one.wall), '1.00×'],
        [
          'lockstep jobs: 2, pool start included',
          ms(two.wall),
          `${ours.toFixed(2)}× (goal ≥ 1.8×); ${(raw2.wall / two.wall).toFixed(2)}× of bare threads' speed (goal ≥ 0.9×)`,
        ],
      ],
    );
    console.log(
      `\n${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (other processes share them)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const exec: Suite = { name: 'exec', title: 'execution overhead and parallel speedup', run };
