import { isWellFormed } from '../untrusted.ts';
import { isPlainObject, MAX_VALUE_DEPTH, tooDeep, unstorable } from './codec.ts';

/**
 * How a column stores its values. A column's kind is decided from every
 * value written to it, never from the first run alone: when two runs disagree
 * (a number here, a string there) the column becomes `binary` and each value
 * keeps its own type through the codec.
 */
export type Kind = 'boolean' | 'number' | 'bigint' | 'string' | 'date' | 'json' | 'binary';

export const KINDS: readonly Kind[] = ['boolean', 'number', 'bigint', 'string', 'date', 'json', 'binary'];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The kind a single value needs, or `null` for null/undefined (which fit any
 * column). Throws a typed error naming `path` for values nothing can store.
 */
export function kindOf(v: unknown, path: string): Kind | null {
  switch (typeof v) {
    case 'undefined':
      return null;
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? 'number' : 'binary';
    case 'bigint':
      return v >= INT64_MIN && v <= INT64_MAX ? 'bigint' : 'binary';
    case 'string':
      checkUnicode(v, path);
      // PostgreSQL text cannot hold a NUL: such strings travel in the codec
      return v.includes('\u0000') ? 'binary' : 'string';
    case 'function':
      throw unstorable(path, 'a function', 'store its result or a description instead');
    case 'symbol':
      throw unstorable(path, 'a symbol', 'store its description as a string instead');
  }
  if (v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'binary' : 'date';
  return isJsonSafe(v, path, new Set()) ? 'json' : 'binary';
}

/**
 * True when JSON.stringify/JSON.parse give back an equal value: plain objects
 * and arrays of finite numbers, strings, booleans and null. Throws on values
 * that can never be stored, so that the error names the deepest path.
 */
function isJsonSafe(v: unknown, path: string, seen: Set<object>, depth = 0): boolean {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep(path);
  switch (typeof v) {
    case 'string':
      checkUnicode(v, path);
      return !v.includes('\u0000');
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'function':
    case 'symbol':
      kindOf(v, path); // throws with the right message
      return false;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return true;
  const o = v as object;
  if (seen.has(o))
    throw unstorable(path, 'a cycle (the value contains itself)', 'store a copy without the back-reference');
  seen.add(o);
  let safe = true;
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const item = o[i];
      // long arrays of numbers are common (curves, predictions): no path string per element
      if (typeof item === 'number') {
        if (Number.isFinite(item) && !Object.is(item, -0)) continue;
        safe = false;
        break;
      }
      if (!(i in o) || !isJsonSafe(item, `${path}[${i}]`, seen, depth + 1)) {
        safe = false;
        break;
      }
    }
  } else if (isPlainObject(o) && !(o instanceof Date)) {
    for (const k of Object.keys(o)) {
      checkUnicode(k, `${path} (key ${JSON.stringify(k)})`);
      const item = (o as Record<string, unknown>)[k];
      if (item === undefined || !isJsonSafe(item, `${path}.${k}`, seen, depth + 1)) {
        safe = false;
        break;
      }
    }
  } else {
    safe = false;
  }
  seen.delete(o);
  // A value that is not JSON-safe may still be unstorable deeper down (a
  // function inside a Map); the binary encoder reports that with its path.
  return safe;
}

/**
 * A lone surrogate is not Unicode: UTF-8 (SQLite, PostgreSQL, the codec)
 * would silently turn it into U+FFFD, so it is refused instead.
 */
export function checkUnicode(s: string, path: string): void {
  if (!isWellFormed(s))
    throw unstorable(path, 'a string with a lone surrogate (not valid Unicode)', 'store well-formed text or the bytes');
}

/** The kind of a column that must hold values of both kinds. */
export function mergeKinds(a: Kind | null | undefined, b: Kind | null | undefined): Kind | null {
  if (a == null) return b ?? null;
  if (b == null || a === b) return a;
  return 'binary';
}
