import { z } from 'zod';
import { isLockstepError } from '../../errors.ts';
import { type Expr, evaluate, parseFilter } from '../../search/index.ts';
import { invalid } from './ids.ts';
import { decodeToken, encodeToken, parseOrderBy } from './paging.ts';
import { Int64 } from './schemas.ts';

// Searching small collections in memory (experiments, registered models and
// versions, logged models) with MLflow's filter, order_by and page tokens.

type Value = string | number | boolean | null | undefined;

/** The request of MLflow's searches over registered models and versions (a GET query or a POST body). */
export const SearchRequest = z.object({
  filter: z.string().max(10_000).optional(),
  max_results: Int64.optional(),
  order_by: z.union([z.array(z.string()), z.string()]).optional(),
  page_token: z.string().optional(),
});

/** max_results, or its default, between 1 and `limit` (else MLflow's 400). */
export function maxResults(given: number | undefined, fallback: number, limit: number): number {
  const max = given ?? fallback;
  if (max < 1 || max > limit) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied.`);
  return max;
}

/**
 * Keeps the records a filter matches; `lookup` gives a record's value for a
 * scope (lower case) and key. As in MLflow's registry, `tags.x != 'v'` also
 * matches records without the tag (its clients add `tag.mlflow.prompt.is_prompt
 * != 'true'` to every search of models).
 */
export function filterRecords<T>(
  records: readonly T[],
  filter: string | undefined,
  lookup: (record: T, scope: string, key: string) => Value,
): T[] {
  let expr: ReturnType<typeof parseFilter> = null;
  try {
    expr = filter?.trim() ? parseFilter(filter) : null;
  } catch (e) {
    if (isLockstepError(e, 'E_INPUT')) throw invalid(e.message);
    throw e;
  }
  if (!expr) return [...records];
  const e = absentTagsDiffer(expr);
  return records.filter((r) => evaluate(e, ({ scope, key }) => lookup(r, scope.toLowerCase(), key)));
}

/** Sorts by MLflow order_by clauses (`name ASC`, `version_number DESC`), each key read by `value`. */
export function sortRecords<T>(
  records: T[],
  orderBy: string | readonly string[] | undefined,
  defaults: readonly string[],
  value: (record: T, name: string) => Value,
): T[] {
  const given = typeof orderBy === 'string' ? [orderBy] : (orderBy ?? []);
  const orders = (given.length ? given : defaults).map(parseOrderBy);
  return records.sort((a, b) => {
    for (const { name, order } of orders) {
      const x = value(a, name) ?? null;
      const y = value(b, name) ?? null;
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (order === 'desc' ? -1 : 1);
    }
    return 0;
  });
}

/** One page and the token of the next. */
export function pageOf<T>(records: readonly T[], token: string | undefined, max: number) {
  const offset = decodeToken(token);
  return {
    page: records.slice(offset, offset + max),
    next: offset + max < records.length ? encodeToken(offset + max) : undefined,
  };
}

function absentTagsDiffer(e: Expr): Expr {
  switch (e.type) {
    case 'and':
    case 'or':
      return { ...e, left: absentTagsDiffer(e.left), right: absentTagsDiffer(e.right) };
    case 'not':
      return { ...e, expr: absentTagsDiffer(e.expr) };
    case 'cmp':
      return e.op === '!=' && /^tags?$/i.test(e.ident.scope)
        ? { type: 'or', left: { type: 'null', ident: e.ident, negate: false }, right: e }
        : e;
    default:
      return e;
  }
}
