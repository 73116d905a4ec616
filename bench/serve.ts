// `npm run bench -- serve`: autocannon against POST /predict on 127.0.0.1,
// cache hits (one instance over and over) and cache misses (a fresh random
// instance per request) separately, 50 connections like the seed's reference.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Suite } from './suites.ts';
import { printTable } from './table.ts';

const require = createRequire(import.meta.url);
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require('autocannon') as Autocannon;

const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 20);
const CONNECTIONS = 50;
const HEADERS = { 'content-type': 'application/json' };

function randomInstance(): string {
  const r = (lo: number, hi: number) => Math.round((lo + Math.random() * (hi - lo)) * 1e6) / 1e6;
  return JSON.stringify({
    sepal_length: r(4.3, 7.9),
    sepal_width: r(2, 4.4),
    petal_length: r(1, 6.9),
    petal_width: r(0.1, 2.5),
  });
}

interface Server {
  address: string;
  baseline: string;
  /** The ONNX forest served with batching (`batched`) and without (`solo`); empty without onnxruntime-node. */
  onnx: { batched?: string; solo?: string };
  /** CPU time the server process has used so far, in microseconds. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'serve-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { address, baseline, onnx } = await new Promise<Pick<Server, 'address' | 'baseline' | 'onnx'>>(
    (resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += String(c);
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as Pick<Server, 'address' | 'baseline' | 'onnx'>);
      });
      child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
    },
  );
  let waiting: ((micros: number) => void) | null = null;
  let buffer = '';
  child.stdout.on('data', (c) => {
    buffer += String(c);
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.includes('cpuMicros') && waiting) waiting((JSON.parse(line) as { cpuMicros: number }).cpuMicros);
      nl = buffer.indexOf('\n');
    }
  });
  return {
    address,
    baseline,
    onnx,
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

async function cacheStats(address: string): Promise<{ hits: number; misses: number }> {
  return (await fetch(`${address}/cache`)).json() as Promise<{ hits: number; misses: number }>;
}

async function inferenceCalls(address: string): Promise<{ calls: number; instances: number }> {
  return ((await (await fetch(`${address}/health`)).json()) as { batching: { calls: number; instances: number } })
    .batching;
}

/** Fresh random instances against one server: every request a cache miss. */
function missesAt(address: string) {
  return {
    url: address,
    requests: [
      {
        method: 'POST',
        path: '/predict',
        headers: HEADERS,
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: randomInstance() }),
      },
    ],
  };
}

export const serve: Suite = {
  name: 'serve',
  title: `model serving: POST /predict, ${SECONDS} s per case, ${CONNECTIONS} connections`,
  run: async () => {
    const server = await startServer();
    try {
      const url = `${server.address}/predict`;
      const hitBody = randomInstance();
      await fetch(url, { method: 'POST', headers: HEADERS, body: hitBody }); // warm the one cached entry
      const rows: string[][] = [];
      const cases = [
        {
          name: 'baseline: bare Fastify',
          target: 'the ceiling here',
          address: '',
          opts: { url: `${server.baseline}/predict`, method: 'POST', headers: HEADERS, body: hitBody },
        },
        {
          name: 'cache hits',
          target: '>= 15,000 req/s',
          address: server.address,
          opts: { url, method: 'POST', headers: HEADERS, body: hitBody },
        },
        {
          name: 'cache misses',
          target: '>= 5,000 req/s',
          address: server.address,
          opts: missesAt(url),
        },
        ...(server.onnx.batched && server.onnx.solo
          ? [
              {
                name: 'ONNX forest (100 trees), misses, batched',
                target: 'batching (2 ms window) vs none',
                address: server.onnx.batched,
                opts: missesAt(`${server.onnx.batched}/predict`),
              },
              {
                name: 'ONNX forest (100 trees), misses, no batching',
                target: 'one inference call per request',
                address: server.onnx.solo,
                opts: missesAt(`${server.onnx.solo}/predict`),
              },
            ]
          : []),
      ];
      // warm the JIT on every path first, unmeasured
      for (const c of cases) await autocannon({ ...c.opts, connections: CONNECTIONS, duration: 2 });
      await fetch(`${server.address}/cache`, { method: 'DELETE' });
      await fetch(url, { method: 'POST', headers: HEADERS, body: hitBody });
      for (const c of cases) {
        const bare = c.name.startsWith('baseline');
        const before = bare ? { hits: 0, misses: 0 } : await cacheStats(c.address);
        const callsBefore = bare ? null : await inferenceCalls(c.address);
        const cpuBefore = await server.cpu();
        const r = await autocannon({ ...c.opts, connections: CONNECTIONS, duration: SECONDS });
        const cpuAfter = await server.cpu();
        const after = bare ? { hits: 0, misses: 0 } : await cacheStats(c.address);
        const callsAfter = bare ? null : await inferenceCalls(c.address);
        const calls = callsAfter && callsBefore ? callsAfter.calls - callsBefore.calls : 0;
        const meanBatch =
          calls && callsAfter && callsBefore ? (callsAfter.instances - callsBefore.instances) / calls : 0;
        const perRequest = (cpuAfter - cpuBefore) / Math.max(1, r.requests.total);
        rows.push([
          c.name,
          Math.round(r.requests.average).toLocaleString('en-US'),
          `${r.latency.p50} ms`,
          `${r.latency.p99} ms`,
          String(r.non2xx + r.errors),
          bare ? '-' : `${after.hits - before.hits} / ${after.misses - before.misses}`,
          c.address === server.address || bare ? '-' : `${calls} (${meanBatch.toFixed(1)} per call)`,
          `${perRequest.toFixed(0)} µs (${Math.round(1e6 / perRequest).toLocaleString('en-US')} req/s)`,
          bare || c.address !== server.address ? c.target : `${c.target}, p99 < 10 ms`,
        ]);
      }
      printTable(
        [
          'case',
          'req/s',
          'p50',
          'p99',
          'errors',
          'cache hits / misses',
          'ONNX inference calls',
          'server CPU per request (1 core)',
          'target',
        ],
        rows,
      );
      const load = (await import('node:os')).loadavg()[0]?.toFixed(1);
      console.log(
        `\nLoad average at the end: ${load} on ${(await import('node:os')).availableParallelism()} cores. "server CPU per request" is the` +
          "\nserver process's CPU time divided by the requests it answered: the rate one uncontended core would sustain.",
      );
      console.log(
        '\nFor scale (quoted from issue 6, not measured here): FastAPI + uvicorn, 1 worker, scikit-learn forest of 50 trees,' +
          '\n3,300 req/s on cache hits (p99 66 ms), 212 req/s without the cache (p99 391 ms).',
      );
    } finally {
      await server.stop();
    }
  },
};
