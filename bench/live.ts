// Logging throughput of a live run: one step logs N points in a tight loop while the run is written
// live (its points flushed at least every liveMs, synchronously on SQLite since the loop never yields),
// next to the same points inserted by raw better-sqlite3 and to the loop with nothing stored.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSession, type Run } from '../src/index.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const SIZES = (process.env.BENCH_LIVE_POINTS ?? '100000,1000000').split(',').map(Number);

function tightLoop(n: number) {
  return function train(run: Run): void {
    for (let i = 0; i < n; i++) run.log('loss', 1 / (i + 1));
  };
}

/** lockstep: a run whose step logs n points, written live to a fresh SQLite file. */
async function lockstepLog(dir: string, n: number, persist: boolean): Promise<number> {
  const session = await createSession(join(dir, `${randomUUID()}.db`));
  const exp = await session.createExperiment('live');
  exp.addRun({ lr: 0.1 });
  const t0 = performance.now();
  await exp.execute(tightLoop(n), { persist, quiet: true });
  const t = performance.now() - t0;
  if (persist) {
    const [row] = await session.query('SELECT COUNT(*) AS c FROM metrics');
    if (Number(row?.c) !== n) throw new Error(`expected ${n} stored points, found ${row?.c}`);
  }
  await session.close();
  return t;
}

/** The same points through better-sqlite3 alone, one prepared statement, in transactions of 50,000. */
function rawLog(dir: string, n: number): number {
  const db = new Database(join(dir, `${randomUUID()}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE metrics (experiment_id TEXT, run_id TEXT, key TEXT, step INTEGER, "timestamp" INTEGER, value REAL, attempt INTEGER)',
  );
  db.exec('CREATE INDEX metrics_series ON metrics (experiment_id, run_id, key, step, "timestamp", value)');
  const insert = db.prepare('INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)');
  const exp = randomUUID();
  const run = randomUUID();
  const t0 = performance.now();
  const write = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(exp, run, 'loss', i, Date.now(), 1 / (i + 1), 1);
  });
  for (let i = 0; i < n; i += 50_000) write(i, Math.min(n, i + 50_000));
  const t = performance.now() - t0;
  db.close();
  return t;
}

const rate = (n: number, t: number) => `${Math.round((n / t) * 1000).toLocaleString('en-US')}/s`;

export const live: Suite = {
  name: 'live',
  title: `logging throughput of a live run (one step, tight loop), SQLite, median of ${REPS}`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-live-'));
    const rows: string[][] = [];
    try {
      for (const n of SIZES) {
        const ours: number[] = [];
        const memory: number[] = [];
        const raw: number[] = [];
        for (let r = 0; r < REPS; r++) {
          ours.push(await lockstepLog(dir, n, true));
          memory.push(await lockstepLog(dir, n, false));
          raw.push(rawLog(dir, n));
        }
        const [o, m, w] = [median(ours), median(memory), median(raw)];
        rows.push([
          n.toLocaleString('en-US'),
          `${ms(o)} (${rate(n, o)})`,
          `${ms(w)} (${rate(n, w)})`,
          `${(o / w).toFixed(2)}×`,
          `${ms(m)} (${rate(n, m)})`,
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    printTable(
      [
        'points',
        'lockstep: logged and stored live',
        'raw better-sqlite3 inserts',
        'ratio',
        'run.log alone (persist: false)',
      ],
      rows,
    );
  },
};
