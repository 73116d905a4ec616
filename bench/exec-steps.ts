// Step functions of the exec benchmark, exported so that worker threads can load them.
import type { Run } from '../src/index.ts';

/** One step setting one field: the per-run overhead case. */
export function trivial(run: Run): void {
  run.fields.v = 1;
}

/** A fixed amount of arithmetic: `config.iters` square roots (the bench calibrates it to about 20 ms). */
export function cpu(run: Run): void {
  run.fields.acc = arithmetic(run.config.iters as number);
}

export function arithmetic(iters: number): number {
  let acc = 0;
  for (let i = 0; i < iters; i++) acc += Math.sqrt(i + acc * 1e-9);
  return acc;
}
