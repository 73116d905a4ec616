// Step functions of the exec benchmark, exported so that worker threads can load them.
import type { Run } from '../src/index.ts';

/** One step setting one field: the per-run overhead case. */
export function trivial(run: Run): void {
  run.fields.v = 1;
}

/** About `config.ms` (default 20) milliseconds of arithmetic. */
export function cpu(run: Run): void {
  const end = performance.now() + ((run.config.ms as number | undefined) ?? 20);
  let acc = 0;
  let i = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++) acc += Math.sqrt(i++ + k);
  }
  run.fields.acc = acc;
}
