import { createHash } from 'node:crypto';
import { LockstepError } from '../errors.ts';
import type { Driver, Row } from '../store/driver.ts';
import { quoteId } from '../store/driver.ts';
import { indexName } from '../store/names.ts';
import type { Compiled } from './compile.ts';
import type { Resolved } from './resolve.ts';

/**
 * Paging a runs table sorted by one of its own columns, on an index of that
 * column: a page after a known row is a keyset read (`(col, run_id) > (?, ?)`),
 * so it costs the same anywhere in 100,000 runs; a jump to an offset walks the
 * index alone. Runs without a value come last in either direction, so the
 * table is read as two segments, each an index range: the runs with a value
 * ordered by (value, run id), then those without ordered by run id.
 */

/** Where the previous page ended: the last row's sort value and run id, opaque to clients. */
interface Position {
  /** the row had no value (it was in the second segment) */
  none: boolean;
  value: unknown;
  id: string;
}

/** A sort key that can be paged this way: a plain column of the run row with a scalar kind. */
const PLAIN = /^t\.("(?:[^"]|"")+"|[a-z_]+)$/;
const SCALAR = new Set(['number', 'bigint', 'string', 'date', 'boolean', 'status']);

export function indexable(sort: Resolved): string | undefined {
  const m = PLAIN.exec(sort.sql);
  if (!m || sort.params.length || !SCALAR.has(String(sort.kind))) return undefined;
  const name = m[1] as string;
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

export function encodeCursor(p: Position): string {
  const v = p.value;
  const value =
    typeof v === 'number'
      ? ['n', String(v)]
      : typeof v === 'bigint'
        ? ['i', v.toString()]
        : v instanceof Date
          ? ['d', v.toISOString()]
          : typeof v === 'boolean'
            ? ['b', v]
            : ['s', v === null || v === undefined ? null : String(v)];
  return Buffer.from(JSON.stringify([p.none ? 1 : 0, ...value, p.id])).toString('base64url');
}

export function decodeCursor(text: string): Position {
  const bad = () => new LockstepError('E_INPUT', `after: not a cursor this server gave out: ${text.slice(0, 80)}`);
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parts) || parts.length !== 4 || typeof parts[3] !== 'string') throw bad();
  const [none, tag, raw, id] = parts as [unknown, unknown, unknown, string];
  let value: unknown;
  if (tag === 'n' && typeof raw === 'string') value = Number(raw);
  else if ((tag === 'i' || tag === 's' || tag === 'd') && typeof raw === 'string') value = raw;
  else if (tag === 'b' && typeof raw === 'boolean') value = raw;
  else if (tag === 's' && raw === null) value = null;
  else throw bad();
  return { none: none === 1, value, id };
}

const indexed = new WeakMap<Driver, Set<string>>();

/**
 * Every column the runs table is sorted by gets an index on (column, run id),
 * made the first time: sorting 100,000 runs then reads an index instead of
 * sorting the table for every page.
 */
export async function ensureColumnIndex(driver: Driver, table: string, column: string): Promise<void> {
  const done = indexed.get(driver) ?? new Set<string>();
  indexed.set(driver, done);
  const key = `${table}\u0000${column}`;
  if (done.has(key)) return;
  const suffix =
    column === 'started_at'
      ? 'started'
      : `by_${column.length <= 24 ? column : createHash('sha256').update(column).digest('hex').slice(0, 12)}`;
  await driver.exec(
    `CREATE INDEX IF NOT EXISTS ${quoteId(indexName(table, suffix))} ON ${quoteId(table)} (${quoteId(column)}, run_id)`,
  );
  done.add(key);
}

export interface KeysetQuery {
  table: string;
  /** the SELECT list, on the run row `t` */
  select: string;
  where: Compiled;
  column: string;
  /** bigints travel as text (a JS number would round them) */
  bigint: boolean;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
  after?: string | undefined;
}

/**
 * One page of a table sorted by a column, raw rows with the sort value last
 * (`__sort`), and the cursor after its last row when the page is full.
 */
export async function keysetPage(driver: Driver, q: KeysetQuery): Promise<{ rows: Row[]; next: string | null }> {
  const col = `t.${quoteId(q.column)}`;
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const op = q.order === 'asc' ? '>' : '<';
  const from = `FROM ${quoteId(q.table)} t WHERE ${q.where.sql}`;
  const valued = async (extra: string, params: unknown[], limit: number, offset: number) =>
    driver.all(
      `SELECT ${q.select}, ${q.bigint ? `CAST(${col} AS TEXT)` : col} AS __sort ${from} AND ${col} IS NOT NULL${extra} ORDER BY ${col} ${dir}, t.run_id ${dir} LIMIT ? OFFSET ?`,
      [...q.where.params, ...params, limit, offset],
    );
  const empty = async (extra: string, params: unknown[], limit: number, offset: number) =>
    driver.all(
      `SELECT ${q.select}, NULL AS __sort ${from} AND ${col} IS NULL${extra} ORDER BY t.run_id ${dir} LIMIT ? OFFSET ?`,
      [...q.where.params, ...params, limit, offset],
    );
  const pos = q.after ? decodeCursor(q.after) : undefined;
  let rows: Row[] = [];
  let noneOffset = 0;
  if (!pos?.none) {
    rows = pos
      ? await valued(` AND (${col}, t.run_id) ${op} (?, ?)`, [pos.value, pos.id], q.limit, 0)
      : await valued('', [], q.limit, q.offset);
    if (!pos && rows.length === 0 && q.offset > 0) {
      // the offset may lie past every valued run: count them to know where it falls among the others
      const [c] = await driver.all<{ n: number | string }>(`SELECT COUNT(*) AS n ${from} AND ${col} IS NOT NULL`, [
        ...q.where.params,
      ]);
      noneOffset = Math.max(0, q.offset - Number(c?.n ?? 0));
    }
  }
  if (rows.length < q.limit) {
    const rest = q.limit - rows.length;
    const more = pos?.none
      ? await empty(` AND t.run_id ${op} ?`, [pos.id], rest, 0)
      : await empty('', [], rest, noneOffset);
    rows = rows.length ? rows.concat(more) : more;
  }
  const last = rows.length === q.limit && q.limit > 0 ? rows[rows.length - 1] : undefined;
  const next = last
    ? encodeCursor({ none: last.__sort === null, value: last.__sort, id: last.run_id as string })
    : null;
  return { rows, next };
}
