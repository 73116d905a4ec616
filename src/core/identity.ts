import { xxh3 } from '@node-rs/xxhash';
import { encodeValue } from '../store/codec.ts';

/**
 * A canonical text for a run's params (keys sorted at every depth), used as
 * the run's identity when an experiment is executed again: runs with the same
 * params are the same run.
 */
export function paramsKey(params: Record<string, unknown>): string {
  return JSON.stringify(canonical(params));
}

function canonical(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return { $bigint: v.toString() };
    case 'number':
      return Number.isFinite(v) ? v : { $number: String(v) };
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return v;
  }
  if (v === null) return null;
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Array.isArray(v)) return v.map(canonical);
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = canonical(o[k]);
    return out;
  }
  return { $bytes: encodeValue(v, 'params').toString('base64') };
}

/**
 * The id of the run with these params in this experiment: the same in every
 * process, so that several processes running one sweep write one row per
 * params (the store upserts by id) instead of a row each.
 */
export function runIdFor(experimentId: string, key: string): string {
  const h = xxh3.xxh128(`${experimentId}\u0000${key}`).toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
