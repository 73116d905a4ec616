// The batcher on its own: windows, per-request answers, and per-request failures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Answer, ServableModel } from '../../src/models/servable.ts';
import { Batcher } from '../../src/serve/batch.ts';

/** A model that doubles numbers and fails any call that holds a negative one. */
function doubler(): ServableModel & { calls: number[][] } {
  const calls: number[][] = [];
  return {
    calls,
    format: 'onnx',
    batches: true,
    version: {} as never,
    features: [],
    labels: [],
    target: null,
    check: (v) => ({ key: String(v), value: v }),
    instanceDoc: () => ({ features: [], inputs: [], labels: [], outputs: [] }),
    close: async () => undefined,
    answer: async (values) => {
      calls.push(values as number[]);
      if ((values as number[]).some((v) => v < 0)) throw new Error('negative input');
      return (values as number[]).map((v): Answer => ({ outputs: { y: v * 2 } }));
    },
  };
}

describe('serve: batching', () => {
  test('requests within the window share one call and get their own answers back', async () => {
    const model = doubler();
    const b = new Batcher(20, 100);
    const answers = await Promise.all([b.answer(model, [1]), b.answer(model, [2, 3]), b.answer(model, [4])]);
    assert.deepEqual(
      answers.map((a) => a.map((x) => x.outputs?.y)),
      [[2], [4, 6], [8]],
    );
    assert.deepEqual(model.calls, [[1, 2, 3, 4]]);
    assert.deepEqual(b.stats(), { windowMs: 20, maxBatch: 100, calls: 1, instances: 4 });
  });

  test('a full batch runs before the window closes', async () => {
    const model = doubler();
    const b = new Batcher(10_000, 3);
    const started = Date.now();
    await Promise.all([b.answer(model, [1, 2]), b.answer(model, [3])]);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(model.calls, [[1, 2, 3]]);
  });

  test('a failing batch is retried request by request: only the bad request fails', async () => {
    const model = doubler();
    const b = new Batcher(20, 100);
    const results = await Promise.allSettled([b.answer(model, [1]), b.answer(model, [-1]), b.answer(model, [5])]);
    assert.equal(results[0]?.status, 'fulfilled');
    assert.equal(results[2]?.status, 'fulfilled');
    assert.equal(results[1]?.status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /negative input/);
    assert.deepEqual(model.calls, [[1, -1, 5], [1], [-1], [5]]);
  });

  test('window 0, or a synchronous model, runs each request on its own', async () => {
    const model = doubler();
    const b = new Batcher(0, 100);
    await Promise.all([b.answer(model, [1]), b.answer(model, [2])]);
    assert.deepEqual(model.calls, [[1], [2]]);
  });
});
