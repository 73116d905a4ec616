// Random bodies against every write endpoint of the native and MLflow APIs
// (fast-check, bounded in time): never a 5xx, and the database stays intact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SqliteDriver } from '../../src/store/sqlite/index.ts';
import { backends } from '../helpers.ts';
import { serverSuite } from './suite.ts';

/** Seconds of fuzzing per backend (LOCKSTEP_FUZZ_SECONDS for a longer run). */
const SECONDS = Number(process.env.LOCKSTEP_FUZZ_SECONDS) || 8;

/** Any UTF-16 code units, lone surrogates and NUL included. */
const anyText = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 12 })
  .map((codes) => String.fromCharCode(...codes));
const edgeNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 53, 8.64e15 + 1, -8.64e15 - 1, 1e308, Number.MAX_SAFE_INTEGER + 2),
);
const { scalar } = fc.letrec((tie) => ({
  scalar: fc.oneof(
    anyText,
    edgeNumber,
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('NaN', 'Infinity', '9'.repeat(25)),
  ),
  value: fc.oneof(
    { depthSize: 'small' },
    tie('scalar'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 4 }),
  ),
}));
const anyValue = fc.oneof(scalar, fc.jsonValue({ maxDepth: 4 }));
const values = fc.dictionary(fc.oneof(anyText, fc.constantFrom('lr', 'run_id', '$codec', '__proto__')), anyValue, {
  maxKeys: 5,
});

/** A path segment; a lone surrogate goes as the invalid UTF-8 bytes a careless client would send. */
function segment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return `%ED%B0%80${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}`;
  }
}

/** A body shaped like what the endpoint expects, each field maybe missing, wrong or hostile. */
function shaped(keys: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.record(keys, { requiredKeys: [] });
}

for (const backend of backends()) {
  describe(`fuzzing the write endpoints on ${backend.name}`, async () => {
    const suite = await serverSuite(backend);
    if (!suite) return;
    const { session, app } = suite;
    const exp = await session.createExperiment('fz');
    const keep = await exp.run({ k: 1 }, (r) => {
      r.fields.acc = 0.5;
      r.log('loss', 1, 0);
    });
    const mlExp = (
      await app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'mlfz' } })
    ).json().experiment_id as string;
    const mlRun = (
      await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', payload: { experiment_id: mlExp } })
    ).json().run.info.run_id as string;

    const runId = fc.oneof(fc.constant(keep.id), fc.constant(mlRun), anyText);
    const point = shaped({
      key: fc.oneof(anyText, fc.constant('loss')),
      value: anyValue,
      step: anyValue,
      timestamp: anyValue,
    });
    const mlMetric = shaped({ key: anyText, value: anyValue, timestamp: anyValue, step: anyValue });
    const kv = shaped({ key: anyText, value: anyValue });
    const requests: fc.Arbitrary<{ method: 'POST' | 'PATCH' | 'DELETE'; url: string; body: unknown }> = fc.oneof(
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/v1/experiments'),
        body: shaped({ name: anyValue, description: anyValue }),
      }),
      fc.record({
        method: fc.constant('PATCH' as const),
        url: fc.constant('/api/v1/experiments/fz'),
        body: shaped({ description: anyValue, name: anyValue }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/v1/experiments/fz/runs'),
        body: shaped({
          runs: fc.array(
            shaped({
              id: fc.oneof(anyText, anyValue),
              status: fc.oneof(fc.constantFrom('done', 'running', 'failed', 'pending'), anyValue),
              startedAt: anyValue,
              endedAt: anyValue,
              error: anyValue,
              config: values,
              params: values,
              fields: values,
              metrics: fc.array(point, { maxLength: 3 }),
            }),
            { maxLength: 3 },
          ),
        }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: runId.map((id) => `/api/v1/experiments/fz/runs/${segment(id)}/fields`),
        body: shaped({ fields: values }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: runId.map((id) => `/api/v1/experiments/fz/runs/${segment(id)}/metrics`),
        body: shaped({ points: fc.array(point, { maxLength: 3 }) }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/2.0/mlflow/experiments/create'),
        body: shaped({ name: anyValue, artifact_location: anyValue, tags: fc.array(kv, { maxLength: 2 }) }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/2.0/mlflow/runs/create'),
        body: shaped({
          experiment_id: fc.oneof(fc.constant(mlExp), anyValue),
          start_time: anyValue,
          run_name: anyValue,
          tags: fc.array(kv, { maxLength: 2 }),
        }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/2.0/mlflow/runs/update'),
        body: shaped({
          run_id: runId,
          status: fc.oneof(fc.constantFrom('FINISHED', 'FAILED', 'KILLED'), anyValue),
          end_time: anyValue,
          run_name: anyValue,
        }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/2.0/mlflow/runs/log-batch'),
        body: shaped({
          run_id: runId,
          metrics: fc.array(mlMetric, { maxLength: 3 }),
          params: fc.array(kv, { maxLength: 3 }),
          tags: fc.array(kv, { maxLength: 3 }),
        }),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constantFrom(
          '/api/2.0/mlflow/runs/log-metric',
          '/api/2.0/mlflow/runs/log-parameter',
          '/api/2.0/mlflow/runs/set-tag',
        ),
        body: fc.tuple(runId, mlMetric).map(([id, m]) => ({ run_id: id, ...(m as object) })),
      }),
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constant('/api/2.0/mlflow/experiments/set-experiment-tag'),
        body: shaped({ experiment_id: fc.oneof(fc.constant(mlExp), anyValue), key: anyValue, value: anyValue }),
      }),
      // any JSON at all, anywhere
      fc.record({
        method: fc.constant('POST' as const),
        url: fc.constantFrom('/api/v1/experiments/fz/runs', '/api/2.0/mlflow/runs/log-batch', '/api/v1/experiments'),
        body: fc.jsonValue(),
      }),
    );

    it(`answers every random write with a 2xx or a 4xx, for ${SECONDS} s`, async () => {
      let sent = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requests, async (req) => {
          sent++;
          const res = await app.inject({
            method: req.method,
            url: req.url,
            payload: JSON.stringify(req.body),
            headers: { 'content-type': 'application/json' },
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          assert.ok(
            res.statusCode < 500,
            `${req.method} ${req.url} ${JSON.stringify(req.body)} → ${res.statusCode} ${res.body}`,
          );
        }),
        {
          interruptAfterTimeLimit: SECONDS * 1000,
          numRuns: 1_000_000,
          seed: Number(process.env.LOCKSTEP_FUZZ_SEED) || undefined,
        },
      );
      assert.ok(sent > 50, `only ${sent} requests in ${SECONDS} s`);
      // the bodies reach past validation too: some writes succeed
      const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
      console.log(
        `fuzz on ${backend.name}: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      assert.ok(ok > 0, 'no random write succeeded');
    });

    it('leaves the database intact', async () => {
      const loaded = await session.loadExperiment('fz');
      const run = loaded.runs.toArray().find((r) => r.id === keep.id);
      assert.ok(run, 'the run stored before the fuzzing is still there');
      assert.ok((await session.listExperiments()).some((e) => e.name === 'mlfz'));
      const driver = session.store.driver;
      if (driver instanceof SqliteDriver)
        assert.deepEqual(driver.raw.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      const res = await app.inject({ url: '/api/v1/experiments/fz/runs?limit=5' });
      assert.equal(res.statusCode, 200);
    });
  });
}
