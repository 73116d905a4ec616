const FLAG = Symbol.for('lockstep.worker');

/**
 * True inside a lockstep worker (pool thread or process, Slurm task,
 * `lockstep worker`). A script whose module is imported by a worker to reach
 * its step functions checks it to skip its own entry point, so that importing
 * the steps does not start the whole sweep again.
 *
 * @example
 * ```ts
 * if (!insideWorker()) await main();
 * ```
 */
export function insideWorker(): boolean {
  return (globalThis as Record<symbol, unknown>)[FLAG] === true;
}

/** @internal called by the worker entry points before they import user modules */
export function markWorker(): void {
  (globalThis as Record<symbol, unknown>)[FLAG] = true;
}
