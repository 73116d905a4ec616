export { fromWire, toWire } from '../remote/wire.ts';
/**
 * A stored value as JSON for display: bigints as strings, dates as ISO text,
 * non-finite numbers as "NaN"/"Infinity"/"-Infinity", typed arrays as arrays,
 * Maps as `{ $map: [[k, v], …] }`, Sets as `{ $set: […] }`, bytes as
 * `{ $bytes: base64 }`. One way only: the UI shows these, it does not send them back.
 */
export function toDisplay(v: unknown, depth = 0): unknown {
  if (depth > 64) return '…';
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v.toString();
    case 'string':
    case 'boolean':
      return v;
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v === null) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (ArrayBuffer.isView(v)) {
    if (v instanceof Uint8Array) return Array.from(v);
    return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => toDisplay(x, depth + 1));
  }
  if (Array.isArray(v)) return v.map((x) => toDisplay(x, depth + 1));
  if (v instanceof Map) return { $map: [...v].map(([k, x]) => [toDisplay(k, depth + 1), toDisplay(x, depth + 1)]) };
  if (v instanceof Set) return { $set: [...v].map((x) => toDisplay(x, depth + 1)) };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toDisplay(x, depth + 1);
  return out;
}
