import { LockstepError } from '../errors.ts';

/** A parameter grid: each key lists the values to try. */
export type Grid = Record<string, readonly unknown[]>;

/**
 * The Cartesian product of a grid, in a stable order (the last key varies
 * fastest): `{ a: [1, 2], b: [3, 4] }` gives a1b3, a1b4, a2b3, a2b4.
 */
export function product(grid: Grid): Record<string, unknown>[] {
  if (grid === null || typeof grid !== 'object' || Array.isArray(grid)) {
    throw new LockstepError('E_INPUT', 'addRuns expects an object of arrays, for example { lr: [0.1, 0.01] }');
  }
  const keys = Object.keys(grid);
  for (const k of keys) {
    const values = grid[k];
    if (!Array.isArray(values)) {
      throw new LockstepError('E_INPUT', `addRuns: "${k}" must be an array of values, got ${typeof values}`, {
        details: { key: k },
      });
    }
    if (values.length === 0) {
      throw new LockstepError('E_INPUT', `addRuns: "${k}" has no values, so the grid would have no runs`, {
        details: { key: k },
      });
    }
  }
  let out: Record<string, unknown>[] = [{}];
  for (const k of keys) {
    const next: Record<string, unknown>[] = [];
    for (const partial of out) for (const v of grid[k] as unknown[]) next.push({ ...partial, [k]: v });
    out = next;
  }
  return out;
}
