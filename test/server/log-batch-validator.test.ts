// The fast check of MLflow log-batch bodies (src/server/mlflow/batch.ts) must
// decide exactly as the generic path does (the input check, then the zod
// schema) and answer the same value: random bodies, valid and broken, both ways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { checkInput } from '../../src/server/input.ts';
import { logBatchValidator } from '../../src/server/mlflow/batch.ts';
import { LogBatch } from '../../src/server/mlflow/schemas.ts';

type Result = { value?: unknown; error?: unknown };
const route = { schema: LogBatch, method: 'POST', url: '/runs/log-batch', httpPart: 'body' } as const;
const fast = logBatchValidator(route) as (data: unknown) => Result;
const zod = validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0]) as (data: unknown) => Result;

/** The generic path: what the server did for every body before the fast check. */
function generic(data: unknown): Result {
  try {
    checkInput(data, 'body');
  } catch (e) {
    return { error: e };
  }
  return zod(data);
}

const text = fc.oneof(
  fc.constantFrom('loss', 'acc', '', 'a\u0000b', 'x\ud800', 'é', 'k'.repeat(250), 'k'.repeat(251)),
  fc.string({ maxLength: 6 }),
);
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 2 ** 53, 2 ** 53 - 1, 8.64e15, 8.64e15 + 1, -8.64e15 - 1, 1.5),
);
const loose = fc.oneof(number, fc.constantFrom('NaN', 'Infinity', '-Infinity', '12', 'x', null, true), text);
const metric = fc.record(
  {
    key: fc.oneof({ weight: 4, arbitrary: text }, loose),
    value: fc.oneof({ weight: 4, arbitrary: number }, loose),
    timestamp: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) }, loose),
    step: fc.oneof({ weight: 4, arbitrary: fc.integer() }, loose),
    extra: loose,
  },
  { requiredKeys: [] },
);
// mostly well-formed metrics, so that the fast path is taken often
const edgeInt = fc.constantFrom(8.64e15, 8.64e15 + 2, -8.64e15 - 2, 2 ** 53, 2 ** 53 - 1, 0.5, -0);
const goodMetric = fc.record(
  {
    key: fc.constantFrom('loss', 'acc'),
    value: number,
    timestamp: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) }, edgeInt),
    step: fc.oneof({ weight: 6, arbitrary: fc.integer() }, edgeInt),
  },
  { requiredKeys: ['key', 'value', 'timestamp'] },
);
const goodBody = fc.record(
  {
    run_id: fc.constantFrom('r1', 'a\u0000', ''),
    metrics: fc.array(fc.oneof({ weight: 20, arbitrary: goodMetric }, metric), { maxLength: 8 }),
    params: fc.constant([]),
  },
  { requiredKeys: ['run_id', 'metrics'] },
);
const body = fc.oneof(
  { weight: 3, arbitrary: goodBody },
  fc.record(
    {
      run_id: fc.oneof({ weight: 4, arbitrary: fc.constant('r1') }, loose),
      run_uuid: loose,
      metrics: fc.oneof(
        { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: goodMetric }, metric), { maxLength: 8 }) },
        loose,
      ),
      params: fc.oneof(fc.constant([]), fc.array(fc.record({ key: text, value: text }), { maxLength: 2 }), loose),
      tags: fc.oneof(fc.constant([]), fc.array(fc.record({ key: text, value: text }), { maxLength: 2 })),
      other: loose,
    },
    { requiredKeys: [] },
  ),
  loose,
  fc.array(loose, { maxLength: 2 }),
);

const outcome = (r: Result) => (r.error ? { rejected: true } : { value: r.value });

describe('the fast log-batch check', () => {
  it('accepts and refuses exactly what the input check and the schema do, with the same value', () => {
    let fastTaken = 0;
    fc.assert(
      fc.property(body, (b) => {
        const data = structuredClone(b);
        const a = fast(data);
        const g = generic(structuredClone(b));
        assert.deepEqual(outcome(a), outcome(g));
        if (!a.error && a.value === data) fastTaken++;
      }),
      { numRuns: 3000, seed: 42 },
    );
    assert.ok(fastTaken > 300, `the fast path answered ${fastTaken} bodies`);
  });

  it('takes 1,000 well-formed points without the generic path, and refuses 1,001', () => {
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: i / 3, timestamp: 1, step: i }));
    const ok = { run_id: 'r', metrics };
    assert.equal(fast(ok).value, ok);
    const tooMany = { run_id: 'r', metrics: [...metrics, metrics[0]] };
    assert.ok(fast(tooMany).error);
  });
});
