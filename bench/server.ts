// `npm run bench -- server`: 200 concurrent clients send MLflow log-batch
// requests of 1,000 metric points each to the tracking server on 127.0.0.1
// for 20 s (autocannon), then the database is checked: every point of every
// request stored exactly once.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createSession } from '../src/index.ts';
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
const POINTS = 1000;

interface Started {
  address: string;
  db: string;
  runIds: string[];
  experimentId: string;
  stop(): Promise<void>;
}

async function start(): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'server-proc.ts'), String(CLIENTS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const info = await new Promise<Omit<Started, 'stop'>>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
      const line = out.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  return {
    ...info,
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

export const server: Suite = {
  name: 'server',
  title: `tracking server: ${CLIENTS} clients × log-batch of ${POINTS} points, ${SECONDS} s (SQLite)`,
  async run() {
    const srv = await start();
    let sent = 0;
    let result: AutocannonResult;
    try {
      result = await autocannon({
        url: `${srv.address}/api/2.0/mlflow/runs/log-batch`,
        connections: CLIENTS,
        duration: SECONDS,
        // a queued request is slow, not lost: count it in the latency instead of as an error
        timeout: 60,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              const n = sent++;
              return { ...req, body: body(srv.runIds[n % srv.runIds.length] as string, n) };
            },
          },
        ],
      });
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
    const acked = result['2xx'];
    const pointsPerSecond = (acked * POINTS) / result.duration;
    printTable(
      ['clients', 'seconds', 'requests ok', 'errors', 'points/s', 'p50', 'p99', 'max'],
      [
        [
          String(CLIENTS),
          result.duration.toFixed(1),
          String(acked),
          String(result.non2xx + result.errors + result.timeouts),
          Math.round(pointsPerSecond).toLocaleString('en-US'),
          `${result.latency.p50} ms`,
          `${result.latency.p99} ms`,
          `${result.latency.max} ms`,
        ],
      ],
    );
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
        // a request can be committed while its answer is cut off by the end of the run
        ['batches acknowledged ≤ batches stored', `${acked} ≤ ${batches}`, String(acked <= batches)],
      ],
    );
    console.log(
      '\ntarget: ≥ 300,000 points/s with p99 < 100 ms (issue 5); MLflow: ~4 s per 1,000-point batch (mlflow#5269)',
    );
  },
};
