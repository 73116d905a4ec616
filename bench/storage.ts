// MLtraq's published tracking benchmark, replicated: each case on a fresh
// SQLite file, timed from session creation to persisted, median of 10 runs,
// side by side with raw better-sqlite3 doing the same writes (one prepared
// statement, one transaction) in the same process.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createSession } from '../src/index.ts';
import { lockstepTable, PG_TYPES, runRow, sqliteTable } from './raw-rows.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const REPS = Number(process.env.BENCH_REPS ?? 10);
const PG_URL = process.env.LOCKSTEP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Case {
  name: string;
  runs: number;
  values: number; // floats per run; 1 means a scalar field
}

const cases: Case[] = [
  ...[0, 1, 2, 3, 4, 5].map((k) => ({ name: `1 run × list of 10^${k} floats`, runs: 1, values: 10 ** k })),
  ...[0, 1, 2, 3, 4].map((k) => ({ name: `10^${k} runs × 1 float`, runs: 10 ** k, values: 1 })),
  ...[500, 1000].flatMap((runs) =>
    [500, 1000].map((values) => ({ name: `${runs} runs × ${values} floats`, runs, values })),
  ),
];

function payload(c: Case): unknown {
  return c.values === 1 ? Math.random() : Array.from({ length: c.values }, () => Math.random());
}

function freshFile(dir: string): string {
  return join(dir, `${randomUUID()}.db`);
}

/** lockstep: session → experiment → runs → execute (which persists as runs finish). */
async function lockstepWrite(url: string, c: Case, value: unknown): Promise<number> {
  const t0 = performance.now();
  const session = await createSession(url);
  const exp = await session.createExperiment('bench');
  exp.addRuns({ i: Array.from({ length: c.runs }, (_, i) => i) });
  await exp.execute((run) => {
    run.fields.value = value;
  });
  const t = performance.now() - t0;
  await session.close();
  return t;
}

/**
 * The same rows through better-sqlite3 alone: the floor lockstep is measured
 * against. The table is lockstep's own (its columns and indexes), each row
 * the one lockstep writes for a finished run (id, status, times, params key,
 * attempt, steps, host, pid, executor, the param and the field), in one
 * transaction through one prepared statement.
 */
function rawWrite(file: string, c: Case, value: unknown, wal = false): number {
  const t0 = performance.now();
  const db = new Database(file);
  if (wal) {
    // lockstep's own journal settings: WAL (readers see a live run while it is written), synchronous NORMAL
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  const insert = sqliteTable(db, 'experiment_bench', c.values === 1 ? 'REAL' : 'TEXT');
  db.transaction(() => {
    for (let i = 0; i < c.runs; i++) {
      insert.run(runRow(i, c.values === 1 ? value : JSON.stringify(value), new Date().toISOString()));
    }
  })();
  const t = performance.now() - t0;
  db.close();
  return t;
}

async function loadCase(dir: string): Promise<[number, number]> {
  const file = freshFile(dir);
  await lockstepWrite(file, { name: 'load', runs: 10_000, values: 1 }, 0.5);
  const ours: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now();
    const session = await createSession(file);
    const exp = await session.loadExperiment('bench');
    if (exp.runs.length !== 10_000) throw new Error('load case: wrong run count');
    ours.push(performance.now() - t0);
    await session.close();
    t0 = performance.now();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT * FROM experiment_bench').all();
    if (rows.length !== 10_000) throw new Error('load case: wrong raw row count');
    raw.push(performance.now() - t0);
    db.close();
  }
  return [median(ours), median(raw)];
}

async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The PostgreSQL floor: the same rows through pg alone, into lockstep's table
 * shape (columns and indexes), as multi-row INSERTs of 1,000 rows in one
 * transaction, from a connection opened on the clock.
 */
async function rawPg(schema: string, c: Case, value: unknown): Promise<number> {
  const t0 = performance.now();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path = "${schema}"`);
  for (const ddl of lockstepTable('experiment_bench', PG_TYPES, c.values === 1 ? 'DOUBLE PRECISION' : 'JSONB'))
    await client.query(ddl);
  const v = c.values === 1 ? value : JSON.stringify(value);
  await client.query('BEGIN');
  for (let start = 0; start < c.runs; start += 1000) {
    const n = Math.min(1000, c.runs - start);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (let i = start; i < start + n; i++) {
      const b = params.length;
      params.push(...runRow(i, v, new Date()));
      tuples.push(`(${Array.from({ length: 15 }, (_, k) => `$${b + k + 1}`).join(', ')})`);
    }
    await client.query(`INSERT INTO experiment_bench VALUES ${tuples.join(', ')}`, params);
  }
  await client.query('COMMIT');
  const t = performance.now() - t0;
  await client.end();
  return t;
}

async function pgCase(c: Case, value: unknown, reps: number): Promise<[number, number]> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const ours: number[] = [];
  const raw: number[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      ours.push(await lockstepWrite(`${PG_URL}?schema=${schema}`, c, value));
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      const rawSchema = `${schema}_raw`;
      raw.push(await rawPg(rawSchema, c, value));
      await admin.query(`DROP SCHEMA "${rawSchema}" CASCADE`);
    }
  } finally {
    await admin.end();
  }
  return [median(ours), median(raw)];
}

export const storage: Suite = {
  name: 'storage',
  title: `tracking: MLtraq's benchmark, median of ${REPS}, lockstep vs raw better-sqlite3 (the same rows in lockstep's table, one statement, one transaction)`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
    const withPg = await postgresAvailable();
    const rows: string[][] = [];
    try {
      // BENCH_CASES=runs picks the cases whose name contains it (all by default)
      const only = process.env.BENCH_CASES;
      for (const c of cases.filter((k) => !only || k.name.includes(only))) {
        const value = payload(c);
        const ours: number[] = [];
        const raw: number[] = [];
        const rawWal: number[] = [];
        for (let r = 0; r < REPS; r++) {
          // alternate the order so neither side always runs on a warmer cache
          if (r % 2 === 0) {
            ours.push(await lockstepWrite(freshFile(dir), c, value));
            raw.push(rawWrite(freshFile(dir), c, value));
            rawWal.push(rawWrite(freshFile(dir), c, value, true));
          } else {
            rawWal.push(rawWrite(freshFile(dir), c, value, true));
            raw.push(rawWrite(freshFile(dir), c, value));
            ours.push(await lockstepWrite(freshFile(dir), c, value));
          }
        }
        const [a, b, w] = [median(ours), median(raw), median(rawWal)];
        const [pa, pb] = withPg ? await pgCase(c, value, Math.min(REPS, 5)) : [0, 0];
        const pgCells = withPg ? [ms(pa), ms(pb), `${(pa / pb).toFixed(2)}×`] : ['n/a', 'n/a', ''];
        rows.push([c.name, ms(a), ms(b), `${(a / b).toFixed(2)}×`, ms(w), `${(a / w).toFixed(2)}×`, ...pgCells]);
      }
      const [a, b] = only && !'load 10^4 runs'.includes(only) ? [0, 0] : await loadCase(dir);
      if (a) rows.push(['load 10^4 runs into memory', ms(a), ms(b), `${(a / b).toFixed(2)}×`, '', '', '', '', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    printTable(
      [
        'case',
        'lockstep SQLite',
        'raw better-sqlite3',
        'ratio',
        'raw, WAL',
        'ratio',
        'lockstep PostgreSQL',
        'raw pg',
        'ratio',
      ],
      rows,
    );
    if (!withPg) console.log('(PostgreSQL unreachable: no PostgreSQL figures)');
    console.log(
      'For scale, MLtraq on a machine like this: 358 ms (10^4 runs × 1), 644 ms (1000 × 1000), 1326 ms (load 10^4).',
    );
  },
};
