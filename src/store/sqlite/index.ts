import Database from 'better-sqlite3';
import { LockstepError } from '../../errors.ts';
import type { Driver, InsertSpec, Row } from '../driver.ts';
import { normaliseInteger, type RowSource, rowCount } from '../driver.ts';
import type { SyncTx } from '../ops.ts';
import { insertSql } from '../sql.ts';
import { sqliteDialect } from './dialect.ts';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * The embedded backend: one better-sqlite3 connection opened for real use
 * (WAL, busy_timeout, foreign keys). Write transactions are `BEGIN IMMEDIATE`
 * so that two processes writing one file wait for each other instead of
 * failing on a lock upgrade.
 */
export class SqliteDriver implements Driver {
  readonly dialect = sqliteDialect;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly arrayStatements = new Map<string, Statement>();
  /** While a transaction runs, other callers wait for it instead of joining it. */
  private gate: Promise<unknown> | null = null;

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.location = path;
    try {
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      this.db.pragma('busy_timeout = 15000');
      if (!options.readonly && path !== ':memory:') this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new LockstepError('E_UNAVAILABLE', `cannot open SQLite database ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private async waitGate(): Promise<void> {
    while (this.gate) await this.gate.catch(() => undefined);
  }

  async exec(sql: string): Promise<void> {
    if (this.gate) await this.waitGate();
    this.execNow(sql);
  }
  private execNow(sql: string): void {
    this.db.exec(sql);
  }

  async all<T = Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    if (this.gate) await this.waitGate();
    return this.allNow(sql, params) as T[];
  }
  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    if (this.gate) await this.waitGate();
    return this.rowsNow(sql, params);
  }
  private rowsNow(sql: string, params: readonly unknown[]): unknown[][] {
    let stmt = this.arrayStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql).raw(true);
      if (this.arrayStatements.size > 100) this.arrayStatements.clear();
      this.arrayStatements.set(sql, stmt);
    }
    return stmt.all(...params) as unknown[][];
  }

  private allNow(sql: string, params: readonly unknown[]): unknown[] {
    return this.prepare(sql).all(...params);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    if (this.gate) await this.waitGate();
    return this.runNow(sql, params);
  }
  private runNow(sql: string, params: readonly unknown[]): number {
    return this.prepare(sql).run(...params).changes;
  }

  async insert(spec: InsertSpec): Promise<void> {
    if (this.gate) await this.waitGate();
    if (rowCount(spec.rows) === 0) return;
    if (this.db.inTransaction) this.insertNow(spec);
    else this.db.transaction(() => this.insertNow(spec)).immediate();
  }
  private insertNow(spec: InsertSpec): void {
    const rows = spec.rows;
    if (rowCount(rows) === 0) return;
    const stmt = this.prepare(insertSql(spec));
    if (Array.isArray(rows)) {
      for (const row of rows as readonly (readonly unknown[])[]) stmt.run(row);
      return;
    }
    // better-sqlite3 binds at once: one array serves every row
    const src = rows as RowSource;
    const row = new Array(spec.columns.length);
    for (let i = 0; i < src.count; i++) {
      src.fill(i, row);
      stmt.run(row);
    }
  }

  async transaction<T>(fn: (tx: Driver) => Promise<T>): Promise<T> {
    if (this.gate) await this.waitGate();
    const tx = this.transactionView();
    const work = (async () => {
      this.db.prepare('BEGIN IMMEDIATE').run();
      try {
        const out = await fn(tx);
        this.db.prepare('COMMIT').run();
        return out;
      } catch (e) {
        if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
        throw e;
      }
    })();
    this.gate = work;
    try {
      return await work;
    } finally {
      this.gate = null;
    }
  }

  trySync<T>(fn: (tx: SyncTx) => T): { value: T } | null {
    if (this.gate || this.db.inTransaction) return null;
    this.db.prepare('BEGIN IMMEDIATE').run();
    try {
      const value = fn(this.syncTx);
      this.db.prepare('COMMIT').run();
      return { value };
    } catch (e) {
      if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
      throw e;
    }
  }

  private readonly syncTx: SyncTx = {
    dialect: this.dialect,
    all: (sql, params) => this.allNow(sql, params) as Row[],
    run: (sql, params) => this.runNow(sql, params),
    exec: (sql) => this.execNow(sql),
    insert: (spec) => this.insertNow(spec),
  };

  /** The same driver for code running inside a transaction: no waiting on the gate. */
  private transactionView(): Driver {
    return {
      dialect: this.dialect,
      location: this.location,
      exec: async (sql) => this.execNow(sql),
      all: async <T>(sql: string, params: readonly unknown[] = []) => this.allNow(sql, params) as T[],
      rows: async (sql: string, params: readonly unknown[] = []) => this.rowsNow(sql, params),
      run: async (sql, params = []) => this.runNow(sql, params),
      insert: async (spec) => this.insertNow(spec),
      transaction: async (fn) => fn(this.transactionView()),
      query: async (sql, params) => this.queryNow(sql, params ?? [], false),
      queryReadOnly: async (sql, params, options) => this.queryNow(sql, params ?? [], true, options),
      close: async () => undefined,
    };
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (this.gate) await this.waitGate();
    return this.queryNow(sql, params, false);
  }

  async queryReadOnly(
    sql: string,
    params: readonly unknown[] = [],
    options: { timeoutMs?: number; maxRows?: number } = {},
  ): Promise<Row[]> {
    if (this.gate) await this.waitGate();
    return this.queryNow(sql, params, true, options);
  }

  private queryNow(
    sql: string,
    params: readonly unknown[],
    readOnly: boolean,
    options: { timeoutMs?: number; maxRows?: number } = {},
  ): Row[] {
    let stmt: Statement;
    try {
      stmt = this.db.prepare(sql);
    } catch (e) {
      throw new LockstepError('E_SQL', `SQL error: ${(e as Error).message}`, { cause: e, details: { sql } });
    }
    if (readOnly && !stmt.readonly) {
      throw new LockstepError('E_SQL', 'only statements that read are allowed here (SELECT, WITH …, EXPLAIN)', {
        details: { sql },
      });
    }
    try {
      if (!stmt.reader) {
        stmt.run(...params);
        return [];
      }
      stmt.safeIntegers(true);
      const rows: Row[] = [];
      const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
      const max = options.maxRows ?? Number.POSITIVE_INFINITY;
      const iter = stmt.iterate(...params) as IterableIterator<Row>;
      for (const row of iter) {
        for (const k in row) {
          const v = row[k];
          if (typeof v === 'bigint') row[k] = normaliseInteger(v);
        }
        rows.push(row);
        if (rows.length >= max || Date.now() > deadline) {
          iter.return?.();
          break;
        }
      }
      return rows;
    } catch (e) {
      throw new LockstepError('E_SQL', `SQL error: ${(e as Error).message}`, { cause: e, details: { sql } });
    }
  }

  async close(): Promise<void> {
    if (this.gate) await this.waitGate();
    this.statements.clear();
    this.arrayStatements.clear();
    this.db.close();
  }

  /** The raw connection, for backend-specific tooling (integrity checks, benchmarks). */
  get raw(): Database.Database {
    return this.db;
  }
}
