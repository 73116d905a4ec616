import type { Dialect } from '../store/driver.ts';
import type { Kind } from '../store/kinds.ts';

/**
 * A value for a `lockstep sql` placeholder, typed from its text: JSON's scalars keep their type
 * (`3`, `-2.5`, `true`, `null`, `"3"` for the string 3; integers beyond 2^53 stay exact), and any other
 * text, a JSON array or object included, is a string. Booleans bind as the database stores them
 * (0/1 on SQLite).
 */
export function sqlValue(text: string, dialect: Dialect): unknown {
  const [kind, value] = typed(text);
  return kind === null ? null : dialect.toParam(kind, value);
}

function typed(text: string): [Kind | null, unknown] {
  if (/^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text))) return ['bigint', BigInt(text)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ['string', text];
  }
  if (parsed === null) return [null, null];
  if (typeof parsed === 'number') return ['number', parsed];
  if (typeof parsed === 'boolean') return ['boolean', parsed];
  if (typeof parsed === 'string') return ['string', parsed];
  return ['string', text];
}
