import { LockstepError } from '../errors.ts';
import { isWellFormed } from '../untrusted.ts';

/**
 * The lockstep binary value encoding, version 1 ("LSB1").
 *
 * Layout: the 4 bytes `L S B 1`, then one value. A value is a tag byte and a
 * payload; every multi-byte number is little-endian; `len` is an unsigned
 * LEB128 varint.
 *
 * | tag | type            | payload                                        |
 * |-----|-----------------|------------------------------------------------|
 * | 0   | null            | none                                           |
 * | 1   | undefined       | none                                           |
 * | 2   | false           | none                                           |
 * | 3   | true            | none                                           |
 * | 4   | number          | float64 (NaN, ±Infinity and -0 exactly)        |
 * | 5   | bigint          | sign byte (0 or 1), len, magnitude bytes (LE)  |
 * | 6   | string          | len, UTF-8 bytes                               |
 * | 7   | Date            | float64 milliseconds since the epoch           |
 * | 8   | Array           | len, values (holes are stored as tag 9)        |
 * | 9   | array hole      | none                                           |
 * | 10  | plain object    | len, then len × (string key, value)            |
 * | 11  | Map             | len, then len × (key value, value)             |
 * | 12  | Set             | len, values                                    |
 * | 13  | typed array     | kind byte (table below), len in bytes, bytes   |
 * | 14  | ArrayBuffer     | len, bytes                                     |
 *
 * Typed array kinds: 0 Int8, 1 Uint8, 2 Uint8Clamped, 3 Int16, 4 Uint16,
 * 5 Int32, 6 Uint32, 7 Float32, 8 Float64, 9 BigInt64, 10 BigUint64.
 *
 * Decoding only builds data: no constructor is looked up by name and no code
 * is ever evaluated. Functions, symbols, class instances and cycles cannot be
 * encoded; the error names the path of the offending value.
 */
export const CODEC_VERSION = 1;
const MAGIC = [0x4c, 0x53, 0x42, 0x31]; // "LSB1"

const TYPED = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

type TypedArray = InstanceType<(typeof TYPED)[number]>;

function typedKind(v: ArrayBufferView): number {
  for (let i = 0; i < TYPED.length; i++) {
    // Buffer is a Uint8Array subclass and is stored as one.
    if (v instanceof (TYPED[i] as unknown as typeof Uint8Array)) return i;
  }
  return -1;
}

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  f64(x: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }
}

/** Thrown by {@link encodeValue} and by the value checks; `path` locates the value. */
export function unstorable(path: string, what: string, hint: string): LockstepError {
  return new LockstepError('E_VALUE', `cannot store ${path}: ${what}; ${hint}`, {
    details: { path },
  });
}

/**
 * How deep a stored value may nest. Deeper values are refused when stored
 * (E_VALUE) and when decoded (E_CODEC), so that no reader (the codec, JSON,
 * the API) runs out of stack on a value that was accepted.
 */
export const MAX_VALUE_DEPTH = 256;

export function tooDeep(path: string): LockstepError {
  return unstorable(path, `a value nested deeper than ${MAX_VALUE_DEPTH} levels`, 'flatten it or store it as a file');
}

export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encodeInto(w: Writer, v: unknown, path: string, seen: Set<object>, depth = 0): void {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep(path);
  switch (typeof v) {
    case 'undefined':
      w.byte(1);
      return;
    case 'boolean':
      w.byte(v ? 3 : 2);
      return;
    case 'number':
      w.byte(4);
      w.f64(v);
      return;
    case 'string':
      if (!isWellFormed(v))
        throw unstorable(
          path,
          'a string with a lone surrogate (not valid Unicode)',
          'store well-formed text or the bytes',
        );
      w.byte(6);
      w.string(v);
      return;
    case 'bigint': {
      w.byte(5);
      w.byte(v < 0n ? 1 : 0);
      let m = v < 0n ? -v : v;
      const out: number[] = [];
      while (m > 0n) {
        out.push(Number(m & 0xffn));
        m >>= 8n;
      }
      w.varint(out.length);
      w.bytes(Uint8Array.from(out));
      return;
    }
    case 'function':
      throw unstorable(path, 'a function', 'store its result or a description instead');
    case 'symbol':
      throw unstorable(path, 'a symbol', 'store its description as a string instead');
  }
  if (v === null) {
    w.byte(0);
    return;
  }
  const o = v as object;
  if (seen.has(o))
    throw unstorable(path, 'a cycle (the value contains itself)', 'store a copy without the back-reference');
  if (o instanceof Date) {
    w.byte(7);
    w.f64(o.getTime());
    return;
  }
  if (ArrayBuffer.isView(o)) {
    const kind = typedKind(o);
    if (kind < 0) throw unstorable(path, 'a DataView', 'store a typed array such as Uint8Array instead');
    w.byte(13);
    w.byte(kind);
    w.varint(o.byteLength);
    w.bytes(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    return;
  }
  if (o instanceof ArrayBuffer) {
    w.byte(14);
    w.varint(o.byteLength);
    w.bytes(new Uint8Array(o));
    return;
  }
  seen.add(o);
  if (Array.isArray(o)) {
    w.byte(8);
    w.varint(o.length);
    for (let i = 0; i < o.length; i++) {
      if (!(i in o)) w.byte(9);
      else encodeInto(w, o[i], `${path}[${i}]`, seen, depth + 1);
    }
  } else if (o instanceof Map) {
    w.byte(11);
    w.varint(o.size);
    let i = 0;
    for (const [k, val] of o) {
      encodeInto(w, k, `${path}.<key ${i}>`, seen, depth + 1);
      encodeInto(w, val, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : i})`, seen, depth + 1);
      i++;
    }
  } else if (o instanceof Set) {
    w.byte(12);
    w.varint(o.size);
    let i = 0;
    for (const val of o) encodeInto(w, val, `${path}.<item ${i++}>`, seen, depth + 1);
  } else if (isPlainObject(o)) {
    const keys = Object.keys(o);
    w.byte(10);
    w.varint(keys.length);
    for (const k of keys) {
      if (!isWellFormed(k))
        throw unstorable(
          `${path} (key ${JSON.stringify(k)})`,
          'a lone surrogate (not valid Unicode)',
          'use well-formed text',
        );
      w.string(k);
      encodeInto(w, (o as Record<string, unknown>)[k], `${path}.${k}`, seen, depth + 1);
    }
  } else {
    const name = o.constructor?.name ?? 'unknown';
    throw unstorable(
      path,
      `an instance of class ${name}`,
      'store a plain object, array, Map, Set or typed array (for example its toJSON())',
    );
  }
  seen.delete(o);
}

/** Encodes a value into the versioned binary format. */
export function encodeValue(v: unknown, path = 'value'): Buffer {
  const w = new Writer();
  w.bytes(Uint8Array.from(MAGIC));
  encodeInto(w, v, path, new Set());
  return w.buf.subarray(0, w.pos);
}

class Reader {
  pos = 4;
  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw corrupt('the value ends early');
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 49) throw corrupt('a length is too large');
    }
  }
  f64(): number {
    this.need(8);
    const x = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return x;
  }
  slice(n: number): Buffer {
    this.need(n);
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  string(): string {
    return this.slice(this.varint()).toString('utf8');
  }
}

function corrupt(why: string): LockstepError {
  return new LockstepError('E_CODEC', `cannot decode a stored value: ${why}`);
}

function copyBuffer(b: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(b.length);
  new Uint8Array(out).set(b);
  return out;
}

function decodeFrom(r: Reader, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw corrupt(`the value nests deeper than ${MAX_VALUE_DEPTH} levels`);
  const tag = r.byte();
  switch (tag) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return false;
    case 3:
      return true;
    case 4:
      return r.f64();
    case 5: {
      const neg = r.byte() === 1;
      const bytes = r.slice(r.varint());
      let m = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) m = (m << 8n) | BigInt(bytes[i] as number);
      return neg ? -m : m;
    }
    case 6:
      return r.string();
    case 7:
      return new Date(r.f64());
    case 8: {
      const n = r.varint();
      const a: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        if (r.buf[r.pos] === 9) r.pos++;
        else a[i] = decodeFrom(r, depth + 1);
      }
      return a;
    }
    case 10: {
      const n = r.varint();
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        // defineProperty so that a stored "__proto__" key stays a plain key
        Object.defineProperty(o, k, {
          value: decodeFrom(r, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return o;
    }
    case 11: {
      const n = r.varint();
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = decodeFrom(r, depth + 1);
        m.set(k, decodeFrom(r, depth + 1));
      }
      return m;
    }
    case 12: {
      const n = r.varint();
      const s = new Set<unknown>();
      for (let i = 0; i < n; i++) s.add(decodeFrom(r, depth + 1));
      return s;
    }
    case 13: {
      const kind = r.byte();
      const ctor = TYPED[kind];
      if (!ctor) throw corrupt(`unknown typed array kind ${kind}`);
      const bytes = r.slice(r.varint());
      if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) throw corrupt('a typed array has a partial element');
      return new ctor(copyBuffer(bytes)) as TypedArray;
    }
    case 14:
      return copyBuffer(r.slice(r.varint()));
    default:
      throw corrupt(`unknown tag ${tag} at byte ${r.pos - 1}`);
  }
}

/** Decodes bytes written by {@link encodeValue}. Never evaluates code. */
export function decodeValue(bytes: Uint8Array): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 5 || buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1] || buf[2] !== MAGIC[2]) {
    throw corrupt('the bytes do not start with the lockstep header "LSB"');
  }
  if (buf[3] !== MAGIC[3])
    throw corrupt(`codec version "${String.fromCharCode(buf[3] as number)}" is newer than this lockstep (1)`);
  const r = new Reader(buf);
  const v = decodeFrom(r);
  if (r.pos !== buf.length) throw corrupt('trailing bytes after the value');
  return v;
}
