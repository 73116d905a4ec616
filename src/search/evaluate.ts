import type { Expr, Ident, Literal } from './parse.ts';

/** The value of a name for one record, or undefined when the record has none. */
export type Lookup = (ident: Ident) => string | number | boolean | null | undefined;

/** A LIKE pattern as a regular expression (`%` any text, `_` one character). */
export function likeRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const body = [...pattern]
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function compare(a: string | number | boolean, op: string, b: Literal): boolean {
  const x = typeof a === 'number' && typeof b === 'string' && b.trim() !== '' ? Number(b) : b;
  const y = typeof x === 'number' && typeof a === 'string' && a.trim() !== '' ? Number(a) : a;
  switch (op) {
    case '=':
      return y === x;
    case '!=':
      return y !== x;
    case '<':
      return y < x;
    case '<=':
      return y <= x;
    case '>':
      return y > x;
    case '>=':
      return y >= x;
    case 'LIKE':
      return likeRegExp(String(x), false).test(String(y));
    case 'ILIKE':
      return likeRegExp(String(x), true).test(String(y));
    default:
      return false;
  }
}

/**
 * Evaluates a parsed filter against one in-memory record, with SQL's
 * treatment of missing values: a comparison with nothing is false.
 * Used where the records are not rows of a table (MLflow experiments).
 */
export function evaluate(e: Expr, lookup: Lookup): boolean {
  switch (e.type) {
    case 'and':
      return evaluate(e.left, lookup) && evaluate(e.right, lookup);
    case 'or':
      return evaluate(e.left, lookup) || evaluate(e.right, lookup);
    case 'not':
      return !evaluate(e.expr, lookup);
    case 'null': {
      const v = lookup(e.ident);
      return (v === null || v === undefined) !== e.negate;
    }
    case 'in': {
      const v = lookup(e.ident);
      if (v === null || v === undefined) return false;
      return e.values.some((x) => compare(v, '=', x)) !== e.negate;
    }
    case 'cmp': {
      const v = lookup(e.ident);
      if (v === null || v === undefined) return false;
      return compare(v, e.op, e.value);
    }
  }
}
