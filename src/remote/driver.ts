import { LockstepError } from '../errors.ts';
import type { Dialect, Driver, Row } from '../store/driver.ts';
import { postgresDialect } from '../store/postgres/dialect.ts';
import { sqliteDialect } from '../store/sqlite/dialect.ts';
import type { HttpClient } from './http.ts';

/**
 * What a remote session has in place of a database driver: user SQL goes to
 * the server's read-only SQL endpoint; the store's internal SQL has no
 * business here (RemoteStore overrides every method that would use it).
 */
export class RemoteDriver implements Driver {
  dialect: Dialect = sqliteDialect;

  constructor(
    private readonly http: HttpClient,
    readonly location: string,
  ) {}

  setDialect(name: string): void {
    this.dialect = name === 'postgres' ? postgresDialect : sqliteDialect;
  }

  private refuse(): never {
    throw new LockstepError(
      'E_INPUT',
      `a remote session (${this.location}) cannot run internal SQL; this is a lockstep bug`,
    );
  }
  exec(): Promise<void> {
    this.refuse();
  }
  all<T>(): Promise<T[]> {
    this.refuse();
  }
  rows(): Promise<unknown[][]> {
    this.refuse();
  }
  run(): Promise<number> {
    this.refuse();
  }
  insert(): Promise<void> {
    this.refuse();
  }
  transaction<T>(): Promise<T> {
    this.refuse();
  }

  /** Remote SQL is read-only: it runs on the server's read-only endpoint. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.queryReadOnly(sql, params);
  }

  async queryReadOnly(
    sql: string,
    params: readonly unknown[] = [],
    options: { maxRows?: number } = {},
  ): Promise<Row[]> {
    const res = await this.http.request<{ columns: string[]; rows: unknown[][] }>('POST', '/api/v1/sql', {
      sql,
      params,
      ...(options.maxRows ? { maxRows: options.maxRows } : {}),
    });
    return res.rows.map((r) => Object.fromEntries(res.columns.map((c, i) => [c, r[i]])));
  }

  async close(): Promise<void> {}
}
