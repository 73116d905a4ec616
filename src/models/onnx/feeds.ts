import { LockstepError } from '../../errors.ts';
import { describe, type InputIssue } from '../instance.ts';
import type { OrtModule, OrtTensor } from './runtime.ts';
import type { TensorSpec } from './signature.ts';

/** What JSON value an element type takes. */
type Kind = 'number' | 'integer' | 'bool' | 'string';

const KINDS: Record<string, { kind: Kind; min?: number; max?: number }> = {
  float32: { kind: 'number' },
  float64: { kind: 'number' },
  int8: { kind: 'integer', min: -128, max: 127 },
  uint8: { kind: 'integer', min: 0, max: 255 },
  int16: { kind: 'integer', min: -32768, max: 32767 },
  uint16: { kind: 'integer', min: 0, max: 65535 },
  int32: { kind: 'integer', min: -(2 ** 31), max: 2 ** 31 - 1 },
  uint32: { kind: 'integer', min: 0, max: 2 ** 32 - 1 },
  int64: { kind: 'integer', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  uint64: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
  bool: { kind: 'bool' },
  string: { kind: 'string' },
};

/**
 * One input as requests feed it. `batch`: `dynamic` when its first dimension
 * is free (instances stack along it), `one` when it is fixed at 1 (one
 * instance per run), `none` when the input has no batch dimension (an
 * instance gives the whole tensor).
 */
export interface InputPlan {
  spec: TensorSpec;
  kind: Kind;
  min: number;
  max: number;
  batch: 'dynamic' | 'one' | 'none';
  /** The dimensions of one instance's value: a number is fixed, null is free. */
  item: (number | null)[];
}

/** One instance's value for one input: elements in row-major order and their dimensions. */
export interface Feed {
  flat: (number | string | boolean)[];
  dims: number[];
}

export function planInput(spec: TensorSpec): InputPlan {
  const k = KINDS[spec.type];
  if (!k)
    throw new LockstepError(
      'E_CODEC',
      `input ${spec.name} takes ${spec.type} elements, which lockstep cannot feed from JSON (it feeds ${Object.keys(KINDS).join(', ')})`,
    );
  const dims = spec.shape.map((d) => (typeof d === 'number' ? d : null));
  const first = dims[0];
  const batch = dims.length === 0 ? 'none' : first === null ? 'dynamic' : first === 1 ? 'one' : 'none';
  return {
    spec,
    kind: k.kind,
    min: k.min ?? Number.NEGATIVE_INFINITY,
    max: k.max ?? Number.POSITIVE_INFINITY,
    batch,
    item: batch === 'none' ? dims : dims.slice(1),
  };
}

function elementWord(p: InputPlan): string {
  return p.kind === 'number'
    ? 'number'
    : p.kind === 'integer'
      ? `integer (${p.spec.type})`
      : p.kind === 'bool'
        ? 'boolean'
        : 'string';
}

/** What an input's value looks like, for messages and the API docs: `an array of 4 numbers (float32)`. */
export function expectedValue(p: InputPlan, depth = 0): string {
  if (depth >= p.item.length) return `a ${elementWord(p)}`;
  const n = p.item[depth];
  const inner = expectedValue(p, depth + 1).replace(/^an? /, '');
  const count = n === null ? 'any number of' : String(n);
  return `an array of ${count} ${inner.endsWith('s') || inner.startsWith('array') ? inner : `${inner}s`}${depth === 0 && p.kind === 'number' ? ` (${p.spec.type})` : ''}`;
}

/**
 * Checks one instance's value for an input against its element type and the
 * shape of one instance, and flattens it; or the first problem, naming the
 * element (`instances[2].pixels[0][3]`). A single value stands for an array
 * of one where the input takes one element per instance ([N, 1]).
 */
export function checkFeed(p: InputPlan, value: unknown, field: string): Feed | InputIssue {
  const wrapOne = p.item.length === 1 && p.item[0] === 1 && !Array.isArray(value);
  const v = wrapOne ? [value] : value;
  const dims: number[] = [];
  // the dimensions come from the first element at each depth; every sibling must agree
  let probe: unknown = v;
  for (let d = 0; d < p.item.length; d++) {
    if (!Array.isArray(probe)) return { field, expected: expectedValue(p), received: describe(probe) };
    dims.push(probe.length);
    probe = probe[0];
  }
  const flat: Feed['flat'] = [];
  const walk = (x: unknown, depth: number, at: string): InputIssue | null => {
    if (depth === p.item.length) return element(p, x, at, flat);
    const want = p.item[depth];
    if (!Array.isArray(x) || x.length !== dims[depth] || (want !== null && x.length !== want) || x.length === 0) {
      const shape = want !== null ? `${want}` : `${dims[depth]} (as its siblings)`;
      return {
        field: at,
        expected: depth === 0 ? expectedValue(p) : `an array of ${shape} values`,
        received: Array.isArray(x) ? `${x.length} value${x.length === 1 ? '' : 's'}` : describe(x),
      };
    }
    for (let i = 0; i < x.length; i++) {
      const problem = walk(x[i], depth + 1, `${at}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
  const problem = walk(v, 0, field);
  return problem ?? { flat, dims };
}

function element(p: InputPlan, x: unknown, at: string, out: Feed['flat']): InputIssue | null {
  const ok =
    p.kind === 'string'
      ? typeof x === 'string'
      : p.kind === 'bool'
        ? typeof x === 'boolean'
        : typeof x === 'number' &&
          Number.isFinite(x) &&
          (p.kind === 'number' || (Number.isInteger(x) && x >= p.min && x <= p.max));
  if (!ok) {
    const range = p.kind === 'integer' && typeof x === 'number' && Number.isInteger(x) ? ` in ${p.min}..${p.max}` : '';
    return { field: at, expected: `${elementWord(p)}${range}`, received: describe(x) };
  }
  out.push(x as number | string | boolean);
  return null;
}

const ARRAYS: Record<string, (n: number) => { [i: number]: unknown }> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  int16: (n) => new Int16Array(n),
  uint16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
  uint32: (n) => new Uint32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint64: (n) => new BigUint64Array(n),
  bool: (n) => new Uint8Array(n),
  string: (n) => new Array<string>(n),
};

/** The tensor of several instances' feeds for one input (stacked along the batch dimension when it has one). */
export function stack(ort: OrtModule, p: InputPlan, feeds: Feed[]): OrtTensor {
  const first = feeds[0] as Feed;
  const per = first.flat.length;
  const data = (ARRAYS[p.spec.type] as (n: number) => { [i: number]: unknown })(per * feeds.length);
  const big = p.spec.type === 'int64' || p.spec.type === 'uint64';
  let k = 0;
  for (const f of feeds)
    for (const x of f.flat) data[k++] = big ? BigInt(x as number) : x === true ? 1 : x === false ? 0 : x;
  const dims = p.batch === 'none' ? first.dims : [feeds.length, ...first.dims];
  return new ort.Tensor(p.spec.type, data, dims);
}

/** A JSON-friendly element: bigints become numbers when exact, strings otherwise. */
function plain(x: unknown): number | string | boolean {
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : String(x);
  return x as number | string | boolean;
}

function nest(flat: unknown[], dims: readonly number[], offset: number): unknown {
  if (dims.length === 0) return plain(flat[offset]);
  const [n, ...rest] = dims as [number, ...number[]];
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => nest(flat, rest, offset + i * size));
}

/**
 * Instance i's part of an output of a run over n instances, as nested arrays
 * (a scalar when each instance gets one element with no dimension left).
 * Null when the output's first dimension is not the batch, so it cannot be
 * split: the caller then runs instances one by one.
 */
export function sliceOutput(t: OrtTensor, i: number, n: number, batched: boolean): unknown {
  const dims = t.dims;
  if (!batched) return nest(t.data as unknown as unknown[], dims, 0);
  if (dims[0] !== n) return null;
  const rest = dims.slice(1);
  const size = rest.reduce((a, b) => a * b, 1);
  return nest(t.data as unknown as unknown[], rest, i * size);
}
