import { type Dialect, type Driver, type InsertSpec, type Row, rowCount } from './driver.ts';

/**
 * One database operation, as data. A transaction body written as a generator
 * of these (`yield* all(…)`) runs on any {@link Driver} asynchronously, and on
 * SQLite also synchronously: that is how a step that never yields still gets
 * its logged points into the database while it runs.
 */
export type Op =
  | { op: 'all'; sql: string; params: readonly unknown[] }
  | { op: 'run'; sql: string; params: readonly unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'insert'; spec: InsertSpec };

/** A transaction body: yields operations, receives their results, returns `T`. */
export type Ops<T> = Generator<Op, T, unknown>;

/** The synchronous face of a driver inside a transaction (SQLite only). */
export interface SyncTx {
  readonly dialect: Dialect;
  all(sql: string, params: readonly unknown[]): Row[];
  run(sql: string, params: readonly unknown[]): number;
  exec(sql: string): void;
  insert(spec: InsertSpec): void;
}

export function* all<T = Row>(sql: string, params: readonly unknown[] = []): Ops<T[]> {
  return (yield { op: 'all', sql, params }) as T[];
}

export function* run(sql: string, params: readonly unknown[] = []): Ops<number> {
  return (yield { op: 'run', sql, params }) as number;
}

export function* exec(sql: string): Ops<void> {
  yield { op: 'exec', sql };
}

export function* insert(spec: InsertSpec): Ops<void> {
  if (rowCount(spec.rows)) yield { op: 'insert', spec };
}

/** Runs a body on an async driver (inside the caller's transaction). */
export async function runOps<T>(tx: Driver, body: Ops<T>): Promise<T> {
  let step = body.next();
  while (!step.done) {
    const o = step.value;
    let result: unknown;
    try {
      result =
        o.op === 'all'
          ? await tx.all(o.sql, o.params)
          : o.op === 'run'
            ? await tx.run(o.sql, o.params)
            : o.op === 'exec'
              ? await tx.exec(o.sql)
              : await tx.insert(o.spec);
    } catch (e) {
      step = body.throw(e);
      continue;
    }
    step = body.next(result);
  }
  return step.value;
}

/** Runs a body synchronously (inside the caller's synchronous transaction). */
export function runOpsSync<T>(tx: SyncTx, body: Ops<T>): T {
  let step = body.next();
  while (!step.done) {
    const o = step.value;
    let result: unknown;
    try {
      result =
        o.op === 'all'
          ? tx.all(o.sql, o.params)
          : o.op === 'run'
            ? tx.run(o.sql, o.params)
            : o.op === 'exec'
              ? tx.exec(o.sql)
              : tx.insert(o.spec);
    } catch (e) {
      step = body.throw(e);
      continue;
    }
    step = body.next(result);
  }
  return step.value;
}
