import { LockstepError } from '../errors.ts';
import { decodeValue, encodeValue, isPlainObject } from '../store/codec.ts';

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

/** Values in a write body: plain JSON, or `{ $codec: base64 }` for anything the binary codec carries. */
export function fromWire(values: Record<string, unknown> | undefined, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!values) return out;
  for (const [k, v] of Object.entries(values)) {
    if (
      typeof v === 'object' &&
      v !== null &&
      isPlainObject(v) &&
      typeof (v as { $codec?: unknown }).$codec === 'string' &&
      Object.keys(v).length === 1
    ) {
      try {
        out[k] = decodeValue(Buffer.from((v as { $codec: string }).$codec, 'base64'));
      } catch (e) {
        throw new LockstepError('E_INPUT', `${path}.${k}: ${(e as Error).message}`, {
          cause: e,
          details: { field: `${path}.${k}` },
        });
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** The client side of {@link fromWire}: plain JSON stays JSON, everything else travels through the codec. */
export function toWire(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values))
    out[k] = isJson(v) ? v : { $codec: encodeValue(v, k).toString('base64') };
  return out;
}

function isJson(v: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  switch (typeof v) {
    case 'string':
      return !v.includes('\u0000');
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object':
      if (v === null) return true;
      if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
      if (!isPlainObject(v as object)) return false;
      // an object shaped like our wrapper must itself be wrapped
      if ('$codec' in (v as object)) return false;
      return Object.values(v as object).every((x) => x !== undefined && isJson(x, depth + 1));
    default:
      return false;
  }
}
