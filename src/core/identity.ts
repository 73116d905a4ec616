import { encodeValue } from '../store/codec.ts';

/**
 * A canonical text for a run's params (keys sorted at every depth), used as
 * the run's identity when an experiment is executed again: runs with the same
 * params are the same run.
 */
export function paramsKey(params: Record<string, unknown>): string {
  return flatSorted(params) ? JSON.stringify(params) : JSON.stringify(canonical(params));
}

/**
 * Params that are already canonical: keys in order, values finite numbers,
 * strings or booleans (most grids). Their JSON text is their key as it is.
 */
function flatSorted(params: Record<string, unknown>): boolean {
  if (Object.getPrototypeOf(params) !== Object.prototype) return false;
  let last = '';
  let first = true;
  for (const k in params) {
    if (!first && k <= last) return false;
    first = false;
    last = k;
    const v = params[k];
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== 'string' && typeof v !== 'boolean') return false;
  }
  return true;
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

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Where the 32 hex digits of a run id go in its 36 characters (dashes at 8, 13, 18, 23). */
const SPOTS = Array.from({ length: 36 }, (_, i) => i).filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23);
/** One buffer, reused: a run id is written into it and read back as one flat string. */
const ID = Buffer.alloc(36, '-');

function uuidOf(a: number, b: number, c: number, d: number): string {
  let p = 0;
  for (const x of [a, b, c, d]) {
    for (let s = 28; s >= 0; s -= 4) ID[SPOTS[p++] as number] = HEX[(x >>> s) & 15] as number;
  }
  return ID.toString('latin1', 0, 36);
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Names the runs of one experiment by their params: the same id in every
 * process, so that several processes running one sweep write one row per
 * params (the store upserts by id) instead of a row each. A 128-bit hash of
 * the experiment id and the params key, four multiply-xor lanes (cyrb128)
 * with MurmurHash3's finaliser, written as a UUID; the experiment's part is
 * hashed once. Not for secrets: it only keeps runs apart.
 */
export class RunIds {
  private readonly seed: Uint32Array;

  constructor(experimentId: string) {
    const h = new Uint32Array([1779033703, 3144134277, 1013904242, 2773480762]);
    mix(h, experimentId);
    this.seed = h;
  }

  /** The id of the run whose params have this canonical key. */
  of(key: string): string {
    const h = STATE;
    h.set(this.seed);
    mix(h, key);
    const [h1, h2, h3, h4] = h as unknown as [number, number, number, number];
    return uuidOf(fmix(h1 ^ h4), fmix(h2 ^ h1), fmix(h3 ^ h2), fmix(h4 ^ h3));
  }
}

/** cyrb128's four multiply-xor lanes over a string's UTF-16 units. */
function mix(h: Uint32Array, s: string): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  let h3 = h[2] as number;
  let h4 = h[3] as number;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h[0] = h1;
  h[1] = h2;
  h[2] = h3;
  h[3] = h4;
}

/** The lanes of the id being made (one at a time: no array per run). */
const STATE = new Uint32Array(4);
