import { LockstepError } from '../errors.ts';
import { decodeValue, encodeValue, isPlainObject } from '../store/codec.ts';

/**
 * How values travel between a remote session and the server: plain JSON
 * stays JSON; anything else (Dates, bigints, Maps, typed arrays, NaN…) is
 * wrapped as `{ $codec: base64 }` in lockstep's versioned binary codec, which
 * decodes to the same type and never executes code.
 */
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
