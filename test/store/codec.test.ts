import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeValue, encodeValue, LockstepError } from '../../src/index.ts';

const roundTrip = (v: unknown) => decodeValue(encodeValue(v));

describe('binary codec (LSB1)', () => {
  it('round-trips every typed array kind exactly', () => {
    const arrays = [
      new Int8Array([-128, 0, 127]),
      new Uint8Array([0, 255]),
      new Uint8ClampedArray([0, 128, 255]),
      new Int16Array([-32768, 32767]),
      new Uint16Array([0, 65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([0, 2 ** 32 - 1]),
      new Float32Array([1.5, Number.NaN, Number.POSITIVE_INFINITY]),
      new Float64Array([Math.PI, -0, Number.NaN, Number.NEGATIVE_INFINITY]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([0n, 2n ** 64n - 1n]),
    ];
    for (const a of arrays) {
      const back = roundTrip(a);
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(a), a.constructor.name);
      assert.deepEqual(back, a);
    }
  });

  it('round-trips special numbers, bigints, dates, Maps, Sets and nesting', () => {
    const value = {
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      negZero: -0,
      huge: 2n ** 200n,
      neg: -(2n ** 70n),
      date: new Date('2024-05-01T12:34:56.789Z'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set([1, 'x'])],
      ]),
      nested: [1, 'two', [3, { four: new Float64Array([4]) }], null, undefined, true, false],
      buffer: new Uint8Array([1, 2, 3]).buffer,
    };
    const back = roundTrip(value) as typeof value;
    assert.ok(Number.isNaN(back.nan));
    assert.equal(back.inf, Number.POSITIVE_INFINITY);
    assert.equal(back.ninf, Number.NEGATIVE_INFINITY);
    assert.ok(Object.is(back.negZero, -0));
    assert.equal(back.huge, 2n ** 200n);
    assert.equal(back.neg, -(2n ** 70n));
    assert.deepEqual(back.date, value.date);
    assert.deepEqual(back.map, value.map);
    assert.deepEqual(back.nested, value.nested);
    assert.deepEqual(new Uint8Array(back.buffer), new Uint8Array([1, 2, 3]));
  });

  it('keeps array holes and a "__proto__" key as plain data', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const sparse = [1, , 3];
    const back = roundTrip(sparse) as unknown[];
    assert.equal(back.length, 3);
    assert.ok(!(1 in back));
    const tricky = JSON.parse('{"__proto__": {"polluted": true}}');
    const out = roundTrip(tricky) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses functions, symbols, cycles and class instances, naming the path', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Model {}
    const cases: [unknown, RegExp][] = [
      [{ f: () => 1 }, /cannot store value\.f: a function/],
      [new Map([['k', Symbol('s')]]), /value\.get\("k"\): a symbol/],
      [cyclic, /value\.self: a cycle/],
      [{ model: new Model() }, /value\.model: an instance of class Model/],
    ];
    for (const [v, re] of cases) {
      assert.throws(
        () => encodeValue(v),
        (e: unknown) => e instanceof LockstepError && e.code === 'E_VALUE' && re.test(e.message),
      );
    }
  });

  it('allows shared (non-cyclic) references', () => {
    const shared = [1, 2];
    assert.deepEqual(roundTrip({ a: shared, b: shared }), { a: [1, 2], b: [1, 2] });
  });

  it('rejects corrupt or foreign bytes with E_CODEC', () => {
    const good = encodeValue({ a: [1, 2, 3] });
    const bad = [
      Buffer.from('not lockstep'),
      good.subarray(0, good.length - 3),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.from([0x4c, 0x53, 0x42, 0x39, 0]), // a future version
      Buffer.from([0x4c, 0x53, 0x42, 0x31, 200]), // unknown tag
    ];
    for (const b of bad) {
      assert.throws(
        () => decodeValue(b),
        (e: unknown) => e instanceof LockstepError && e.code === 'E_CODEC',
      );
    }
  });
});
