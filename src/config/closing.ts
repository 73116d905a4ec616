import { relative, resolve } from 'node:path';
import type { Run } from '../core/run.ts';
import type { ExecuteSummary } from '../exec/types.ts';

/**
 * The line a successful `lockstep run` ends with (on stderr, like its warnings): which run or how
 * many tasks ran, how long it took, where the lock is, and what `--resume` left alone.
 */
export function closingLine(
  name: string,
  runs: readonly Run[],
  summary: ExecuteSummary,
  sweep: boolean,
  outDir: string | null,
  locked: boolean,
): string {
  const seconds = `${(summary.durationMs / 1000).toFixed(1)} s`;
  const where = outDir === null || !locked ? '' : display(outDir);
  if (!sweep) {
    const id = (runs[0]?.id ?? '').slice(0, 8);
    if (summary.executed === 0) return `lockstep: ${name}: run ${id} was already done (--resume): nothing ran`;
    return `lockstep: ${name}: run ${id} done in ${seconds}${where ? `, locked in ${where}/run.lock` : ''}`;
  }
  const tasks = (n: number) => `${n} task${n === 1 ? '' : 's'}`;
  if (summary.executed === 0)
    return `lockstep: ${name}: ${tasks(summary.skipped)} ${summary.skipped === 1 ? 'was' : 'were'} already done (--resume): nothing ran`;
  const parts = [`lockstep: ${name}: ${tasks(summary.done)} done in ${seconds}`];
  if (summary.skipped) parts.push(`${summary.skipped} already done (--resume)`);
  if (where) parts.push(`locked under ${where}`);
  return parts.join(', ');
}

/** A path as the user would type it from here: relative when inside the working directory. */
function display(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') ? resolve(path) : rel;
}
