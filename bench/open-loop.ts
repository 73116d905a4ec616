// An open-loop load: requests start at evenly spaced times whatever the server
// does, each on a free keep-alive connection of a pool (a new one when all are
// busy, up to `connections`), and each latency counts from the time the request
// was due, so a server that falls behind shows it (no coordinated omission).
// autocannon's overallRate instead gives every connection its share of the
// second and lets them all send at the start of it: a burst a second.
import { Agent, request } from 'node:http';

export interface OpenLoopResult {
  sent: number;
  ok: number;
  errors: number;
  seconds: number;
  /** latencies in ms, sorted */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function openLoop(opts: {
  url: string;
  /** requests per second */
  rate: number;
  seconds: number;
  connections: number;
  body: (n: number) => string;
  headers?: Record<string, string>;
}): Promise<OpenLoopResult> {
  const url = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let pending = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let n = 0;
    const finish = () => {
      if (n >= total && pending === 0) resolve();
    };
    const send = (due: number) => {
      const payload = opts.body(n);
      pending++;
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { ...opts.headers, 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (res.statusCode && res.statusCode < 300) ok++;
            else errors++;
            pending--;
            finish();
          });
        },
      );
      req.on('error', () => {
        errors++;
        pending--;
        finish();
      });
      req.end(payload);
    };
    const tick = () => {
      const now = performance.now();
      // every request whose time has come goes now, even when the timer fired late
      while (n < total && start + n * interval <= now) send(start + n++ * interval);
      if (n < total) setTimeout(tick, Math.max(0, start + n * interval - performance.now()));
      else finish();
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent: total, ok, errors, seconds: (performance.now() - start) / 1000, latencies };
}
