import { LockstepError } from '../errors.ts';
import type { Driver, Row } from '../store/driver.ts';
import { quoteId } from '../store/driver.ts';
import type { ExperimentRecord, Store } from '../store/store.ts';
import { type Compiled, compileFilter } from './compile.ts';
import { ensureColumnIndex, indexable, keysetPage } from './page.ts';
import { type Expr, type Ident, parseIdent } from './parse.ts';
import { resolveIdent, type Scope } from './resolve.ts';
import { ensureTags } from './tags.ts';

export interface RunQuery {
  /** A filter in the search grammar (or one already parsed). */
  filter?: string | Expr | null;
  /** A name of the grammar to sort on (`accuracy`, `metrics.loss`, `params.k`); default `started_at`. */
  sort?: string;
  order?: 'asc' | 'desc';
  /** Several sort keys, the first deciding first (instead of `sort` and `order`). */
  sorts?: readonly { by: string | Ident; order: 'asc' | 'desc' }[];
  /** Names resolved the caller's way (see {@link Scope.override}). */
  override?: Scope['override'];
  offset?: number;
  limit?: number;
  /** Only these columns (run columns are always there); default all. */
  columns?: readonly string[];
  /** Add the latest value of every metric of each run, as `metrics.<key>`. */
  metrics?: boolean;
  /** Count the matching runs (default true); a client paging through a known total can skip it. */
  count?: boolean;
  /**
   * Start after the row a previous page's `next` named (instead of `offset`):
   * with a single sort on a column of the run row, pages are read by keyset on
   * an index of that column, as fast at row 90,000 as at row 0.
   */
  after?: string;
}

/** One run as a flat row: run columns, experiment columns decoded to their JS types, latest metrics. */
export type RunRow = Record<string, unknown>;

export const RUN_COLUMNS = ['run_id', 'status', 'started_at', 'ended_at', 'error'] as const;
export const MAX_LIMIT = 10_000;

/**
 * Searches an experiment's runs: filter, sort, page. Answers the total
 * number of matching runs and one page of rows, never the whole table.
 *
 * @example
 * ```ts
 * const { total, rows } = await queryRuns(session.store, exp, { filter: 'metrics.acc > 0.9', sort: 'metrics.acc', order: 'desc', limit: 10 });
 * ```
 */
export async function queryRuns(
  store: Store,
  exp: ExperimentRecord,
  q: RunQuery = {},
): Promise<{ total: number | null; rows: RunRow[]; next: string | null }> {
  const driver = store.driver;
  const scope: Scope = { exp, dialect: driver.dialect, ...(q.override ? { override: q.override } : {}) };
  await ensureTags(driver);
  const where = compileFilter(q.filter, scope);
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)
    throw new LockstepError('E_INPUT', `limit must be an integer from 0 to ${MAX_LIMIT}, got ${limit}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new LockstepError('E_INPUT', `offset must be a non-negative integer, got ${offset}`);
  const sorts = q.sorts?.length ? q.sorts : [{ by: q.sort || 'started_at', order: q.order ?? 'asc' }];
  const resolved = sorts.map(({ by, order }) => {
    if (order !== 'asc' && order !== 'desc')
      throw new LockstepError('E_INPUT', `order must be asc or desc, got ${order}`);
    return { sort: resolveIdent(typeof by === 'string' ? parseIdent(by) : by, scope), order };
  });
  const table = quoteId(exp.tableName);
  const [count] =
    q.count === false
      ? [undefined]
      : await driver.all<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM ${table} t WHERE ${where.sql}`,
          where.params,
        );
  const d = driver.dialect;
  const all = Object.entries(exp.meta.columns);
  const wanted = q.columns ? new Set(q.columns) : null;
  if (wanted) {
    const unknown = [...wanted].filter((c) => !exp.meta.columns[c] && !(RUN_COLUMNS as readonly string[]).includes(c));
    if (unknown.length)
      throw new LockstepError('E_INPUT', `unknown column(s): ${unknown.join(', ')}`, { details: { columns: unknown } });
  }
  const cols = all.filter(([c]) => !wanted || wanted.has(c));
  const select = [
    ...RUN_COLUMNS.map((c) => `t.${c}`),
    // unqualified: selectExpr aliases the column by its own name, and only `t` is in FROM
    ...cols.map(([c, info]) => (info.kind ? d.selectExpr(quoteId(c), info.kind) : quoteId(c))),
  ].join(', ');
  // several sort keys (the MLflow API) keep their own tie-break: run id ascending
  const only = q.sorts?.length ? undefined : resolved[0];
  const column = only ? indexable(only.sort) : undefined;
  let raw: Row[];
  let next: string | null = null;
  if (only && column) {
    await ensureColumnIndex(driver, exp.tableName, column);
    ({ rows: raw, next } = await keysetPage(driver, {
      table: exp.tableName,
      select,
      where,
      column,
      bigint: only.sort.kind === 'bigint',
      order: only.order,
      limit,
      offset,
      after: q.after,
    }));
  } else {
    if (q.after) throw new LockstepError('E_INPUT', 'after: only a sort on one column of the runs pages by cursor');
    const orderBy = resolved.map(({ sort, order }) => `${sort.sql} ${order.toUpperCase()} NULLS LAST`);
    const sortParams = resolved.flatMap(({ sort }) => sort.params);
    raw = await driver.all(
      `SELECT ${select} FROM ${table} t WHERE ${where.sql} ORDER BY ${orderBy.join(', ')}, t.run_id LIMIT ? OFFSET ?`,
      [...where.params, ...sortParams, limit, offset],
    );
  }
  const rows: RunRow[] = raw.map((r) => {
    const row: RunRow = {
      run_id: r.run_id,
      status: r.status,
      started_at: d.fromColumn('date', r.started_at),
      ended_at: d.fromColumn('date', r.ended_at),
      error: r.error ?? null,
    };
    for (const [c, info] of cols) {
      const v = r[c];
      row[c] = v === null || v === undefined || !info.kind ? null : d.fromColumn(info.kind, v);
    }
    return row;
  });
  if (q.metrics !== false && rows.length) await addLatestMetrics(driver, exp.id, rows);
  return { total: q.count === false ? null : Number(count?.n ?? 0), rows, next };
}

/**
 * A filter as a WHERE condition on an experiment table queried without an
 * alias (as `Store.queryRuns` does), ready for its `where` option.
 */
export async function filterCondition(store: Store, exp: ExperimentRecord, filter: string): Promise<Compiled> {
  await ensureTags(store.driver);
  return compileFilter(filter, { exp, dialect: store.driver.dialect, alias: quoteId(exp.tableName) });
}

/** The latest value of each metric of each run, in one windowed query per 500 runs. */
async function addLatestMetrics(driver: Driver, experimentId: string, rows: RunRow[]): Promise<void> {
  const byId = new Map(rows.map((r) => [r.run_id as string, r]));
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const latest = await driver.all<Row>(
      `SELECT run_id, key, value FROM (
        SELECT run_id, key, value, ROW_NUMBER() OVER (PARTITION BY run_id, key ORDER BY step DESC, "timestamp" DESC) AS rn
        FROM metrics WHERE experiment_id = ? AND run_id IN (${chunk.map(() => '?').join(', ')})
      ) x WHERE rn = 1 ORDER BY key`,
      [experimentId, ...chunk],
    );
    for (const m of latest) {
      const row = byId.get(m.run_id as string);
      if (row) row[`metrics.${m.key as string}`] = m.value === null ? null : Number(m.value);
    }
  }
}
