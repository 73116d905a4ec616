import { createHash } from 'node:crypto';
import pg from 'pg';
import { LockstepError } from '../../errors.ts';
import type { Driver, InsertSpec, Row } from '../driver.ts';
import { quoteId, type RowSource, rowCount } from '../driver.ts';
import { insertSql } from '../sql.ts';
import { type PgTarget, pgTarget } from './connect.ts';
import { postgresDialect } from './dialect.ts';

const MAX_PARAMS = 60_000;
/** Statements that change the catalog: serialised per schema (see `ddlLock`). */
const DDL = /^\s*(CREATE|ALTER|DROP)\b/i;
/** The advisory lock class of lockstep's DDL (the key is the schema's). */
const DDL_LOCK_CLASS = 0x10c5;

/** A 31-bit hash of a schema name, the second key of its DDL lock. */
function schemaKey(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h & 0x7fffffff;
}

/** A pooled client or the pool itself: both answer `query`. */
type Queryable = pg.Pool | pg.PoolClient;

/**
 * The team backend on node-postgres. `?schema=NAME` in the URL keeps every
 * table in its own schema (created when missing), which is how the tests
 * share one database without stepping on each other.
 */
export class PostgresDriver implements Driver {
  readonly dialect = postgresDialect;
  readonly location: string;
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly ddlKey: number;

  private constructor(private readonly url: string) {
    const target = pgTarget(url);
    this.schema = target.schema;
    this.ddlKey = schemaKey(target.schema ?? 'public');
    this.location = target.location;
    this.pool = new pg.Pool({ ...target.config, max: 10 });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  static async open(url: string, options: { readonly?: boolean } = {}): Promise<PostgresDriver> {
    const driver = new PostgresDriver(url);
    let missing = false;
    try {
      if (driver.schema && !options.readonly)
        await driver.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteId(driver.schema)}`);
      else if (driver.schema)
        missing =
          (await driver.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [driver.schema])).rowCount === 0;
      else await driver.pool.query('SELECT 1');
    } catch (e) {
      await driver.pool.end().catch(() => undefined);
      throw new LockstepError(
        'E_UNAVAILABLE',
        `cannot reach PostgreSQL at ${driver.location}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    if (missing) {
      await driver.pool.end().catch(() => undefined);
      throw new LockstepError('E_NOT_FOUND', `no schema "${driver.schema}" at ${driver.location}`);
    }
    return driver;
  }

  /**
   * `CREATE … IF NOT EXISTS` is not safe against itself in PostgreSQL: two
   * processes creating the same table at once fail one of them on the
   * catalog's unique index. So DDL runs in a transaction holding an
   * advisory lock per schema: processes starting together wait in turn.
   */
  async exec(sql: string): Promise<void> {
    if (DDL.test(sql)) await this.transaction((tx) => tx.exec(sql));
    else await this.pool.query(sql);
  }
  async all<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return allOn<T>(this.pool, sql, params);
  }
  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    return rowsOn(this.pool, sql, params);
  }
  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return runOn(this.pool, sql, params);
  }
  async insert(spec: InsertSpec): Promise<void> {
    if (rowCount(spec.rows) === 0) return;
    await this.transaction((tx) => tx.insert(spec));
  }

  async transaction<T>(fn: (tx: Driver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(this.view(client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  private view(client: pg.PoolClient): Driver {
    let locked = false;
    return {
      dialect: this.dialect,
      location: this.location,
      exec: async (sql) => {
        if (!locked && DDL.test(sql)) {
          await client.query('SELECT pg_advisory_xact_lock($1, $2)', [DDL_LOCK_CLASS, this.ddlKey]);
          locked = true;
        }
        await client.query(sql);
      },
      all: (sql, params = []) => allOn(client, sql, params),
      rows: (sql, params = []) => rowsOn(client, sql, params),
      run: (sql, params = []) => runOn(client, sql, params),
      insert: (spec) => insertOn(client, spec),
      transaction: (fn) => fn(this.view(client)),
      query: (sql, params = []) => userQuery(client, sql, params),
      queryReadOnly: (sql, params, options) => this.readOnly(client, sql, params ?? [], options ?? {}),
      close: async () => undefined,
    };
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return userQuery(this.pool, sql, params);
  }

  async queryReadOnly(
    sql: string,
    params: readonly unknown[] = [],
    options: { timeoutMs?: number; maxRows?: number } = {},
  ): Promise<Row[]> {
    const client = await this.pool.connect();
    try {
      return await this.readOnly(client, sql, params, options);
    } finally {
      client.release();
    }
  }

  private async readOnly(
    client: pg.PoolClient,
    sql: string,
    params: readonly unknown[],
    options: { timeoutMs?: number; maxRows?: number },
  ): Promise<Row[]> {
    await client.query('BEGIN READ ONLY');
    try {
      if (options.timeoutMs)
        await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`);
      const rows = await userQuery(client, sql, params);
      return options.maxRows !== undefined ? rows.slice(0, options.maxRows) : rows;
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }

  /**
   * How to open connections of this driver's role outside its pool (the SQL
   * endpoint's own connections), with extra server settings.
   */
  target(settings: Record<string, string | number> = {}): PgTarget {
    return pgTarget(this.url, settings);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Rewrites `?` placeholders to `$1, $2, …`, leaving quoted text alone. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

async function rowsOn(q: Queryable, sql: string, params: readonly unknown[]): Promise<unknown[][]> {
  const res = await q.query({ text: numberPlaceholders(sql), values: params as unknown[], rowMode: 'array' });
  return res.rows as unknown[][];
}

async function allOn<T>(q: Queryable, sql: string, params: readonly unknown[]): Promise<T[]> {
  const res = await q.query(numberPlaceholders(sql), params as unknown[]);
  return res.rows as T[];
}

async function runOn(q: Queryable, sql: string, params: readonly unknown[]): Promise<number> {
  const res = await q.query(numberPlaceholders(sql), params as unknown[]);
  return res.rowCount ?? 0;
}

/** `($1, $2), ($3, $4)` for n rows of w columns, made once per shape. */
const tupleTexts = new Map<string, string>();
function tuplesOf(w: number, n: number): string {
  const key = `${w}x${n}`;
  let text = tupleTexts.get(key);
  if (!text) {
    const tuples: string[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const marks: string[] = new Array(w);
      for (let c = 0; c < w; c++) marks[c] = `$${r * w + c + 1}`;
      tuples[r] = `(${marks.join(', ')})`;
    }
    text = tuples.join(', ');
    if (tupleTexts.size > 64) tupleTexts.clear();
    tupleTexts.set(key, text);
  }
  return text;
}

/** Multi-row INSERTs of up to 1000 rows (the parameter limit permitting); named prepared statements for tables of a fixed shape. */
async function insertOn(q: Queryable, spec: InsertSpec): Promise<void> {
  const width = spec.columns.length;
  const total = rowCount(spec.rows);
  const perChunk = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / Math.max(1, width))));
  const arrays = Array.isArray(spec.rows) ? (spec.rows as readonly (readonly unknown[])[]) : null;
  const source = arrays ? null : (spec.rows as RowSource);
  const row: unknown[] = new Array(width);
  for (let start = 0; start < total; start += perChunk) {
    const n = Math.min(perChunk, total - start);
    const params: unknown[] = new Array(n * width);
    let p = 0;
    for (let i = start; i < start + n; i++) {
      let r: readonly unknown[];
      if (arrays) r = arrays[i] as readonly unknown[];
      else {
        (source as RowSource).fill(i, row);
        r = row;
      }
      for (let c = 0; c < width; c++) params[p++] = r[c];
    }
    const text = insertSql(spec, tuplesOf(width, n));
    await q.query(spec.fixedShape ? { name: statementName(text), text, values: params } : { text, values: params });
  }
}

/** A short name for a statement text: PostgreSQL parses and plans it once per connection. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `lockstep_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    if (names.size > 256) names.clear();
    names.set(text, name);
  }
  return name;
}

async function userQuery(q: Queryable, sql: string, params: readonly unknown[]): Promise<Row[]> {
  try {
    const res = await q.query(sql, params as unknown[]);
    // A multi-statement string answers an array of results: give the last one's rows.
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    return (last?.rows ?? []) as Row[];
  } catch (e) {
    throw new LockstepError('E_SQL', `SQL error: ${(e as Error).message}`, { cause: e, details: { sql } });
  }
}
