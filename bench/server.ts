// `npm run bench -- server`: MLflow log-batch requests of 1,000 metric points
// each against the tracking server on 127.0.0.1 (a fresh SQLite file, in its
// own process): 200 clients as fast as they can (closed loop), then an open
// loop at 150,000 points/s for the latency (evenly spaced requests, and
// autocannon's overallRate, which sends a burst each second), then the
// database is checked: every point of every request stored exactly once. The
// baseline in the same run: better-sqlite3 alone writing the same number of
// points into lockstep's metrics table with one prepared multi-row INSERT.
// BENCH_PROFILE=1 profiles the server (node --cpu-prof) into bench/results/.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSession } from '../src/index.ts';
import { tempDir } from '../test/helpers.ts';
import { openLoop, percentile } from './open-loop.ts';
import { summariseDirectory } from './profile.ts';
import type { Suite } from './suites.ts';
import { printTable } from './table.ts';

const require = createRequire(import.meta.url);
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require('autocannon') as Autocannon;

const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 20);
const CLIENTS = Number(process.env.BENCH_SERVER_CLIENTS ?? 200);
/** The open loop's offered load, in points per second. */
const OFFERED = Number(process.env.BENCH_SERVER_RATE ?? 150_000);
const POINTS = 1000;

interface Started {
  address: string;
  db: string;
  runIds: string[];
  experimentId: string;
  /** CPU time the server process has used so far, in microseconds. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

async function start(profileDir: string | undefined): Promise<Started> {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [...prof, '--import', 'tsx', join(import.meta.dirname, 'server-proc.ts'), String(CLIENTS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let waiting: ((micros: number) => void) | null = null;
  const info = await new Promise<Omit<Started, 'stop' | 'cpu'>>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (c) => {
      buffer += String(c);
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const msg = JSON.parse(line);
        if ('cpuMicros' in msg) waiting?.(msg.cpuMicros);
        else resolve(msg);
      }
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  return {
    ...info,
    cpu: () =>
      new Promise<number>((resolve) => {
        waiting = resolve;
        child.kill('SIGUSR2');
      }),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** One log-batch body: 1,000 points under a key unique to this request, so duplicates and losses show. */
function body(runId: string, request: number): string {
  const key = `b${request}`;
  const ts = Date.now();
  let metrics = '';
  for (let i = 0; i < POINTS; i++) {
    metrics += `${i ? ',' : ''}{"key":"${key}","value":${(i * 0.001).toFixed(3)},"timestamp":${ts},"step":${i}}`;
  }
  return `{"run_id":"${runId}","metrics":[${metrics}]}`;
}

interface Phase {
  label: string;
  target: string;
  seconds: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  cpuMicros: number;
}

/** The floor: better-sqlite3 alone writes `points` points into a fresh lockstep metrics table. */
async function rawFloor(points: number): Promise<{ perSecond: number; cpuPerPoint: number }> {
  const dir = tempDir('lockstep-bench-server-raw-');
  const file = join(dir, 'raw.db');
  // lockstep makes the tables (its columns and indexes); better-sqlite3 alone writes into them
  await (await createSession(file)).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const rows = 100;
  const insert = db.prepare(
    `INSERT INTO metrics (experiment_id, run_id, key, step, "timestamp", value) VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`,
  );
  const runs = Array.from({ length: CLIENTS }, (_, i) => `run-${String(i).padStart(32, '0')}`);
  const params = new Array(rows * 6);
  // the same shape as the server's groups: 8 requests of 1,000 points per transaction
  const group = db.transaction((first: number) => {
    for (let r = first; r < first + 8; r++) {
      const key = `b${r}`;
      const run = runs[r % runs.length] as string;
      const ts = Date.now();
      for (let c = 0; c < POINTS; c += rows) {
        let k = 0;
        for (let i = c; i < c + rows; i++) {
          params[k++] = 'experiment-0000000000000000000000000000';
          params[k++] = run;
          params[k++] = key;
          params[k++] = i;
          params[k++] = ts;
          params[k++] = i * 0.001;
        }
        insert.run(...params);
      }
    }
  });
  const requests = Math.max(8, Math.ceil(points / POINTS / 8) * 8);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < requests; r += 8) group(r);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { perSecond: (requests * POINTS) / seconds, cpuPerPoint: (cpu.user + cpu.system) / (requests * POINTS) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Waits until the server answers one request quickly: nothing of an earlier phase is queued. */
async function settle(url: string, headers: Record<string, string>, body: () => string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await (await fetch(url, { method: 'POST', headers, body: body() })).text();
    if (performance.now() - t < 50) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const server: Suite = {
  name: 'server',
  title: `tracking server: MLflow log-batch of ${POINTS} points, ${CLIENTS} clients, ${SECONDS} s per phase (SQLite)`,
  async run() {
    const profileDir = process.env.BENCH_PROFILE
      ? join(import.meta.dirname, 'results', `server-${new Date().toISOString().replace(/[:.]/g, '-')}`)
      : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const srv = await start(profileDir);
    let sent = 0;
    const next = () => {
      const n = sent++;
      return body(srv.runIds[n % srv.runIds.length] as string, n);
    };
    const url = `${srv.address}/api/2.0/mlflow/runs/log-batch`;
    const headers = { 'content-type': 'application/json' };
    const phases: Phase[] = [];
    const measured = async (
      label: string,
      target: string,
      load: () => Promise<Omit<Phase, 'label' | 'target' | 'cpuMicros'>>,
    ) => {
      // the previous phase's requests still in flight are answered first: they are not this phase's
      await settle(url, headers, next);
      const before = await srv.cpu();
      const out = await load();
      phases.push({ label, target, ...out, cpuMicros: (await srv.cpu()) - before });
    };
    const cannon = async (extra: Record<string, unknown>) => {
      const r = await autocannon({
        url,
        connections: CLIENTS,
        duration: SECONDS,
        // a queued request is slow, not lost: count it in the latency instead of as an error
        timeout: 60,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: next() }) }],
        ...extra,
      });
      return {
        seconds: r.duration,
        ok: r['2xx'],
        errors: r.non2xx + r.errors + r.timeouts,
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
      };
    };
    try {
      await measured(`${CLIENTS} clients, closed loop (autocannon)`, '≥ 300,000 points/s', () => cannon({}));
      await measured(
        `open loop, ${fmt(OFFERED)} points/s evenly spaced, ≤ ${CLIENTS} connections`,
        'p99 < 100 ms',
        async () => {
          const r = await openLoop({
            url,
            rate: OFFERED / POINTS,
            seconds: SECONDS,
            connections: CLIENTS,
            headers,
            body: next,
          });
          return {
            seconds: r.seconds,
            ok: r.ok,
            errors: r.errors,
            p50: percentile(r.latencies, 50),
            p99: percentile(r.latencies, 99),
            max: r.latencies.at(-1) ?? Number.NaN,
          };
        },
      );
      // autocannon splits overallRate over its connections and each sends its share at the start of every second
      await measured(`autocannon overallRate ${fmt(OFFERED)} points/s (a burst each second)`, 'p99 < 100 ms', () =>
        cannon({ overallRate: OFFERED / POINTS }),
      );
    } finally {
      await srv.stop();
    }
    // the server is stopped: every write it acknowledged is committed
    const session = await createSession(srv.db);
    const [row] = await session.query(
      `SELECT COUNT(*) AS points, COUNT(DISTINCT run_id || '/' || key || '/' || step) AS distinct_points, COUNT(DISTINCT key) AS batches FROM metrics WHERE experiment_id = ?`,
      [srv.experimentId],
    );
    const [partial] = await session.query(
      'SELECT COUNT(*) AS n FROM (SELECT key FROM metrics WHERE experiment_id = ? GROUP BY key HAVING COUNT(*) <> ?) x',
      [srv.experimentId, POINTS],
    );
    await session.close();
    const stored = Number(row?.points);
    const batches = Number(row?.batches);
    const acked = phases.reduce((n, p) => n + p.ok, 0);
    const raw = await rawFloor(phases[0] ? phases[0].ok * POINTS : 1_000_000);

    printTable(
      ['phase', 'seconds', 'requests ok', 'errors', 'points/s', 'p50', 'p99', 'max', 'server CPU per point', 'target'],
      phases.map((p) => [
        p.label,
        p.seconds.toFixed(1),
        String(p.ok),
        String(p.errors),
        fmt((p.ok * POINTS) / p.seconds),
        `${p.p50.toFixed(0)} ms`,
        `${p.p99.toFixed(0)} ms`,
        `${p.max.toFixed(0)} ms`,
        `${(p.cpuMicros / Math.max(1, p.ok * POINTS)).toFixed(2)} µs`,
        p.target,
      ]),
    );
    const first = phases[0];
    if (first) {
      const rate = (first.ok * POINTS) / first.seconds;
      const cpuPerPoint = first.cpuMicros / Math.max(1, first.ok * POINTS);
      console.log('');
      printTable(
        ['baseline (same run)', 'points/s', 'CPU per point', 'server ÷ baseline'],
        [
          [
            'better-sqlite3 alone, 100-row prepared INSERT, 8,000 points a transaction',
            fmt(raw.perSecond),
            `${raw.cpuPerPoint.toFixed(2)} µs`,
            `${(rate / raw.perSecond).toFixed(2)}× the rate, ${(cpuPerPoint / raw.cpuPerPoint).toFixed(2)}× the CPU per point`,
          ],
        ],
      );
    }
    console.log('');
    printTable(
      ['check', 'value', 'ok'],
      [
        ['points stored', stored.toLocaleString('en-US'), ''],
        [
          'distinct (run, key, step)',
          Number(row?.distinct_points).toLocaleString('en-US'),
          String(Number(row?.distinct_points) === stored),
        ],
        ['batches stored × 1000 = points stored', `${batches} × ${POINTS}`, String(batches * POINTS === stored)],
        ['batches stored partially', String(partial?.n), String(Number(partial?.n) === 0)],
        // a request can be committed while its answer is cut off by the end of a phase
        ['batches acknowledged ≤ batches stored', `${acked} ≤ ${batches}`, String(acked <= batches)],
      ],
    );
    console.log(
      `\nLoad average at the end: ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores; the load generator shares them.` +
        '\n"server CPU per point": the server process\'s CPU time (its request thread and its SQLite writer thread) over the points stored.' +
        '\nMLflow for scale (not measured here): ~4 s per 1,000-point batch (mlflow#5269).',
    );
    if (profileDir) console.log(`\nprofile of the server (${profileDir}):\n\n${summariseDirectory(profileDir)}`);
  },
};
