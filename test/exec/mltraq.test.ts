// MLtraq's own walkthrough, written as its docs write it (sessions, add_runs, steps that copy params
// into fields, persist, load_experiment and one more step), on every backend.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Run, Session } from '../../src/index.ts';
import { type Backend, backends, freshSession } from '../helpers.ts';

// MLtraq stores no params by itself: its examples copy them into fields.
function f1(run: Run): void {
  run.fields.A = run.params.A;
  run.fields.B = run.params.B;
}
function f2(run: Run): void {
  run.fields.AB = (run.fields.A as number) * (run.fields.B as number);
}
function f3(run: Run): void {
  run.fields.ABB = (run.fields.AB as number) * (run.fields.B as number);
}

const num = (v: unknown) => Number(v);

for (const backend of backends()) {
  describe(`MLtraq's workflow on ${backend.name}`, () => {
    after(() => backend.cleanup());
    const session = async (): Promise<Session | undefined> => freshSession(backend);

    it('fields named like params, persist, load_experiment, then a new step over the stored runs', async () => {
      const s = await session();
      if (!s) return;
      try {
        const experiment = await s.createExperiment('example');
        experiment.addRuns({ A: [1, 2], B: [3, 4] });

        // "Let's start by reviewing the inputs of an experiment with no step functions to execute"
        const inspect = await experiment.execute([], { config: { dataset: 'iris' } });
        assert.equal(inspect.executed, 0);
        assert.deepEqual(experiment.runs.first().config, { dataset: 'iris' });
        assert.deepEqual(experiment.runs.first().params, { A: 1, B: 3 });
        assert.equal(experiment.runs.first().status, 'pending', 'inspecting marks nothing done');

        // "You might want to just run a single run first"
        const one = await experiment.execute([f1, f2], { only: 1 });
        assert.equal(one.executed, 1);
        assert.equal(experiment.runs.first().fields.AB, 3);

        const summary = await experiment.execute([f1, f2]);
        assert.equal(summary.executed, 3, 'the run tried first is done; the other three execute');
        assert.equal(summary.failed, 0);
        await experiment.persist();

        const rows = await s.query('SELECT "A", "B", "AB" FROM experiment_example ORDER BY "A", "B"');
        assert.deepEqual(
          rows.map((r) => [num(r.A), num(r.B), num(r.AB)]),
          [
            [1, 3, 3],
            [1, 4, 4],
            [2, 3, 6],
            [2, 4, 8],
          ],
          'a field holding its param is the same column: no "would share the column" failure',
        );

        // Later, in another script: load the experiment and add a step.
        const loaded = await s.loadExperiment('example');
        assert.equal(loaded.runs.first().fields.A, loaded.runs.first().params.A, 'the field comes back too');
        const more = await loaded.execute([f3]);
        assert.equal(more.executed, 4, 'the new step runs on every stored run');
        assert.equal(more.failed, 0, more.failures[0]?.message);
        for (const run of loaded.runs) {
          assert.equal(run.fields.ABB, (run.params.A as number) * (run.params.B as number) ** 2);
          assert.deepEqual(run.steps, ['f1', 'f2', 'f3']);
        }
        const again = await s.loadExperiment('example');
        assert.equal(again.runs.first().fields.AB, 3, 'earlier fields are kept by the continuation');
        assert.equal(again.runs.first().fields.ABB, 9);

        // The same script run again resumes: nothing left to do for either pipeline.
        assert.equal((await again.execute([f1, f2])).executed, 0);
        assert.equal((await again.execute([f3])).executed, 0);
        // rerun: f3 again, keeping f1/f2's fields
        const rerun = await again.execute([f3], { rerun: true });
        assert.equal(rerun.executed, 4);
        assert.equal(again.runs.first().fields.AB, 3);
      } finally {
        await s.close();
      }
    });

    it('a field with another value under a param name fails its run with a message saying so', async () => {
      const s = await session();
      if (!s) return;
      try {
        const exp = await s.createExperiment('clash');
        exp.addRuns({ A: [1, 2] });
        const sum = await exp.execute((run) => {
          run.fields.A = (run.params.A as number) * 10;
        });
        assert.equal(sum.failed, 2);
        assert.match(
          sum.failures[0]?.message ?? '',
          /field "A" is 10 but param "A" is 1; a field named like a param must hold the param's value/,
        );
      } finally {
        await s.close();
      }
    });
  });
}

describe('bad input to logging stays a clear error, and nothing is written', () => {
  const sqlite = backends()[0] as Backend;
  it('a non-number, a NaN or fractional step, an empty key, an unknown run', async () => {
    const s = await freshSession(sqlite);
    if (!s) return;
    try {
      const exp = await s.createExperiment('bad');
      const tries: [string, (run: Run) => void, RegExp][] = [
        [
          'text',
          (r) => r.log('loss', 'high' as unknown as number),
          /run\.log\("loss"\): the value must be a number, got string/,
        ],
        ['nan-step', (r) => r.log('loss', 1, Number.NaN), /step must be a whole number from 0 to \d+, got NaN/],
        ['frac-step', (r) => r.log('loss', 1, 1.5), /got 1\.5/],
        ['huge-step', (r) => r.log('loss', 1, 1e23), /got 1e\+23/],
        ['empty-key', (r) => r.log('', 1), /the metric key must be a non-empty string/],
      ];
      for (const [name, step, message] of tries) {
        const run = exp.addRun({ name });
        await exp.execute(step);
        assert.equal(run.status, 'failed', name);
        assert.match(run.error?.message ?? '', message);
        assert.deepEqual(await exp.metrics(run.id), [], `${name}: no point written`);
      }
      await assert.rejects(exp.metrics('no-such-run'), /experiment "bad" has no run "no-such-run"/);
    } finally {
      await s.close();
    }
  });
});
