import type { Kind } from './kinds.ts';
import type { SyncTx } from './ops.ts';
import type { SeriesBuckets } from './series.ts';

/** A row as the database returns it: column name to value. */
export type Row = Record<string, unknown>;

/**
 * What differs between SQL databases, kept in one place per backend: column
 * types, how values travel to and from a column of each kind, and a couple of
 * clauses. Shared SQL is written once with `?` placeholders.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** The SQL type of a column of this kind. */
  columnType(kind: Kind): string;
  /** A checked JS value of this kind, as the driver takes it as a parameter. */
  toParam(kind: Kind, value: unknown): unknown;
  /** A value read from a column of this kind, back to its JS type. */
  fromColumn(kind: Kind, raw: unknown): unknown;
  /** The select expression for a column of this kind (bigints come back as text). */
  selectExpr(quotedColumn: string, kind: Kind): string;
  /** Appended to a SELECT that must lock its rows until the transaction ends. */
  readonly forUpdate: string;
  /** A metric series' extremes per bucket of steps, computed where the points are (charts of long series). */
  readonly seriesBuckets: SeriesBuckets;
}

/** Rows made one at a time into one array the driver reuses: 10^5 rows need no array each. */
export interface RowSource {
  count: number;
  /** Writes row `i` into `row` (its length is the number of columns). */
  fill(i: number, row: unknown[]): void;
}

/** Rows to insert with one statement shape; `conflict` turns it into an upsert. */
export interface InsertSpec {
  table: string;
  columns: readonly string[];
  rows: readonly (readonly unknown[])[] | RowSource;
  /** Upsert on these key columns: update every other column. */
  conflict?: readonly string[];
  /** Update a conflicting row only where this holds (the existing row is the table's name, the new one `excluded`). */
  conflictWhere?: string;
  /**
   * The table's columns never change type (metric points): the backend may
   * keep the statement prepared. Never for experiment tables, whose columns
   * change kind when runs disagree (a prepared statement keeps its old
   * parameter types).
   */
  fixedShape?: boolean;
}

/**
 * The small interface each backend implements (like Kysely's Driver). Every
 * method is async so that a networked database fits; the embedded SQLite
 * driver answers synchronously underneath.
 */
export interface Driver {
  readonly dialect: Dialect;
  /** A human-readable location for messages (a file path or a URL without password). */
  readonly location: string;
  /** Runs one or more statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  /** Runs a statement written with `?` placeholders and returns its rows. */
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The same as `all`, each row an array of its columns in select order (no object per row: large reads). */
  rows(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /** Runs a statement written with `?` placeholders and returns the number of changed rows. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Inserts many rows, as fast as the backend allows. */
  insert(spec: InsertSpec): Promise<void>;
  /** Runs `fn` in one write transaction; a throw rolls everything back. */
  transaction<T>(fn: (tx: Driver) => Promise<T>): Promise<T>;
  /** Runs a user's SQL with the backend's native placeholders; rows as plain objects. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a user's SQL that may only read (read-only transaction or connection). */
  queryReadOnly(
    sql: string,
    params?: readonly unknown[],
    options?: { timeoutMs?: number; maxRows?: number },
  ): Promise<Row[]>;
  /**
   * Runs `fn` in one write transaction synchronously, when the backend can
   * (SQLite) and no other transaction is open; answers null otherwise.
   */
  trySync?<T>(fn: (tx: SyncTx) => T): { value: T } | null;
  close(): Promise<void>;
}

/** Double-quotes an identifier for both SQLite and PostgreSQL. */
export function quoteId(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Integers come back as numbers when they fit, as bigints when they do not. */
export function normaliseInteger(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** How many rows an insert has, whether given as arrays or as a source. */
export function rowCount(rows: InsertSpec['rows']): number {
  return Array.isArray(rows) ? rows.length : (rows as RowSource).count;
}
