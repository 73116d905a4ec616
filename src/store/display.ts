import { MAX_VALUE_DEPTH } from './codec.ts';

/**
 * A stored value made JSON-safe for display (the CLI's --json, the API):
 * bigints as strings, dates as ISO strings, typed arrays as arrays, Maps and
 * Sets tagged, NaN and ±Infinity as strings. Display only: it does not
 * round-trip; the binary codec does.
 */
export function toDisplay(v: unknown, depth = 0): unknown {
  // bounded: a value stored before depths were limited must not take the reader's stack
  if (depth > MAX_VALUE_DEPTH) return '…';
  const inner = (x: unknown) => toDisplay(x, depth + 1);
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return v;
  }
  if (v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (ArrayBuffer.isView(v)) {
    if (v instanceof DataView) return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return Array.from(v as unknown as ArrayLike<unknown>, inner);
  }
  if (v instanceof ArrayBuffer) return Array.from(new Uint8Array(v));
  if (Array.isArray(v)) return v.map(inner);
  if (v instanceof Map) return { $map: [...v].map(([k, x]) => [inner(k), inner(x)]) };
  if (v instanceof Set) return { $set: [...v].map(inner) };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = inner(x);
  return out;
}

/** A short one-line text for a table cell. */
export function toCell(v: unknown, width = 48): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  else if (typeof v === 'string') s = v;
  else if (v instanceof Date) s = v.toISOString().replace('T', ' ').slice(0, 19);
  else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    s = `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`;
  } else if (v instanceof Map) s = `Map(${v.size})`;
  else if (v instanceof Set) s = `Set(${v.size})`;
  else s = JSON.stringify(toDisplay(v));
  s = s.replace(/\s+/g, ' ');
  return s.length > width ? `${s.slice(0, width - 1)}…` : s;
}
