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

/** Performs one operation: a promise on an async driver, the result itself on a synchronous one. */
function perform(tx: Driver | SyncTx, o: Op): unknown {
  switch (o.op) {
    case 'all':
      return tx.all(o.sql, o.params);
    case 'run':
      return tx.run(o.sql, o.params);
    case 'exec':
      return tx.exec(o.sql);
    default:
      return tx.insert(o.spec);
  }
}

/** Runs a body on an async driver (inside the caller's transaction). */
export async function runOps<T>(tx: Driver, body: Ops<T>): Promise<T> {
  let step = body.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = await perform(tx, step.value);
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
    let result: unknown;
    try {
      result = perform(tx, step.value);
    } catch (e) {
      step = body.throw(e);
      continue;
    }
    step = body.next(result);
  }
  return step.value;
}
