import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { workerExecArgv } from '../../src/exec/pool/pool.ts';
import { steps } from '../../src/exec/steps.ts';
import { isLockstepError, type Session } from '../../src/index.ts';
import { backends, tempDir, withFreshSession } from '../helpers.ts';

const FIXTURE = new URL('./fixtures/steps.ts', import.meta.url).href;
const xs = (n: number) => ({ x: Array.from({ length: n }, (_, i) => i) });

describe('worker flags', () => {
  it("drop the parent's tsx loader only when every module a worker loads is JavaScript", () => {
    const js = ['file:///a/worker.js', 'file:///a/steps.mjs'];
    const argv = ['--import', 'tsx', '--cpu-prof', '--import=tsx/esm', '--require', 'tsx/cjs', '--import', 'other'];
    assert.deepEqual(workerExecArgv(js, argv), ['--cpu-prof', '--import', 'other']);
    assert.deepEqual(workerExecArgv(['file:///a/worker.js', 'file:///a/steps.ts'], argv), argv);
    assert.deepEqual(workerExecArgv(js, ['--loader', 'tsx', '-r', 'tsx/cjs']), []);
    assert.deepEqual(workerExecArgv(js, ['--import', 'tsxlike']), ['--import', 'tsxlike']);
  });
});

for (const backend of backends()) {
  describe(`worker pool on ${backend.name}`, () => {
    after(() => backend.cleanup());
    const withSession = (fn: (s: Session) => Promise<void>) => withFreshSession(backend, fn);

    it('runs TypeScript steps on 2 threads: fields, state and metrics come back, vars do not', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('pool');
        exp.addRuns(xs(40));
        const sum = await exp.execute(steps(FIXTURE, 'square', 'offset'), { jobs: 2, config: { offset: 5 } });
        assert.equal(sum.done, 40);
        assert.equal(sum.failed, 0);
        for (const run of exp.runs) {
          const x = run.params.x as number;
          assert.equal(run.fields.y, x * x);
          assert.equal(run.fields.z, x * x + 5);
          assert.deepEqual(run.fields.vector, new Float64Array([x, x + 1]));
          assert.deepEqual(run.state.seenVars, ['scratch'], 'state set in the worker comes back');
          assert.deepEqual(run.vars, {}, 'vars never travel back');
        }
        const rows = await s.query(`SELECT COUNT(*) AS n, SUM(z) AS z FROM experiment_pool WHERE status = 'done'`);
        assert.equal(Number(rows[0]?.n), 40);
        assert.equal(
          Number(rows[0]?.z),
          [...Array(40).keys()].reduce((a, x) => a + x * x + 5, 0),
        );
        const loaded = await s.loadExperiment('pool');
        const run7 = loaded.runs.filter((r) => r.params.x === 7)[0];
        assert.ok(run7);
        const loss = await loaded.metrics(run7.id, 'loss');
        assert.deepEqual(
          loss.map((p) => p.value),
          [1 / 8],
        );
      }));

    it('runs on child processes with isolate: processes', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('procs');
        exp.addRuns(xs(6));
        const sum = await exp.execute(steps(FIXTURE, 'square', 'whereAmI'), { jobs: 2, isolate: 'processes' });
        assert.equal(sum.done, 6);
        for (const run of exp.runs) {
          assert.notEqual(run.fields.pid, process.pid);
          assert.equal(run.fields.inside, true, 'insideWorker() is true in a worker');
          // the steps are compiled once by the parent, so a worker starts without tsx's hooks (~100 ms each)
          assert.doesNotMatch(String(run.fields.execArgv), /tsx/);
        }
        const here = await s.createExperiment('here');
        here.addRun({ x: 1 });
        await here.execute(steps(FIXTURE, 'whereAmI'));
        assert.equal(here.runs.first().fields.inside, false, 'and false inline');
        assert.match(String(here.runs.first().fields.execArgv), /tsx/, 'this test process itself runs under tsx');
      }));

    it('refuses a plain function before any run starts, saying what to change', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('plain');
        exp.addRuns(xs(3));
        function train(run: { fields: Record<string, unknown> }) {
          run.fields.a = 1;
        }
        await assert.rejects(
          exp.execute(train, { jobs: 2 }),
          (e) => isLockstepError(e, 'E_INPUT') && /steps\(import\.meta\.url, 'train'\)/.test(e.message),
        );
        const rows = await s.query('SELECT COUNT(*) AS n FROM experiment_plain');
        assert.equal(Number(rows[0]?.n), 0, 'nothing was executed or written');
        assert.ok(exp.runs.toArray().every((r) => r.status === 'pending'));
      }));

    it('refuses params and config that cannot be sent to a worker, naming them', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('unsendable');
        class Model {
          predict() {
            return 1;
          }
        }
        exp.addRuns(xs(2));
        await assert.rejects(
          exp.execute(steps(FIXTURE, 'square'), { jobs: 2, config: { model: new Model() } }),
          (e) => isLockstepError(e, 'E_INPUT') && /config\.model is an instance of Model/.test(e.message),
        );
        const exp2 = await s.createExperiment('unsendable2');
        exp2.addRun({ x: 1 });
        await assert.rejects(
          exp2.execute(steps(FIXTURE, 'square'), { jobs: 2, config: { nested: { cb: () => 1 } } }),
          (e) => isLockstepError(e, 'E_INPUT') && /config\.nested\.cb is a function/.test(e.message),
        );
        assert.ok(exp.runs.toArray().every((r) => r.status === 'pending'));
      }));

    it('refuses a step export that does not exist before any run starts', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('missing');
        exp.addRuns(xs(2));
        await assert.rejects(
          exp.execute(steps(FIXTURE, 'nope'), { jobs: 2 }),
          (e) =>
            isLockstepError(e, 'E_INPUT') && /no exported function "nope"/.test(e.message) && /square/.test(e.message),
        );
        assert.ok(exp.runs.toArray().every((r) => r.status === 'pending'));
      }));

    it('fails only the run whose field cannot come back from the worker', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('badfield');
        exp.addRuns(xs(4));
        const sum = await exp.execute(steps(FIXTURE, 'square', 'badField'), { jobs: 2 });
        assert.equal(sum.failed, 4);
        assert.match(sum.failures[0]?.message ?? '', /run\.fields\.fn cannot be sent back/);
        const ok = await s.createExperiment('goodfield');
        ok.addRuns(xs(4));
        assert.equal((await ok.execute(steps(FIXTURE, 'square'), { jobs: 2 })).done, 4);
      }));

    it('stops at the first failure with failFast; the rest stay pending and a second execute resumes', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('failfast');
        exp.addRuns(xs(200));
        const sum = await exp.execute(steps(FIXTURE, 'failOdd'), { jobs: 2, failFast: true, runsPerTask: 1 });
        assert.ok(sum.failed >= 1);
        assert.ok(sum.notRun > 0, 'runs after the failure were not started');
        assert.equal(sum.executed + sum.notRun, 200);
        // the same pipeline again: a resume (odd runs now succeed)
        const again = await exp.execute(steps(FIXTURE, 'failOdd'), { jobs: 2, config: { allowOdd: true } });
        assert.equal(again.skipped, sum.done, 'done runs are not executed again');
        assert.equal(again.executed, 200 - sum.done);
        const rows = await s.query(`SELECT COUNT(*) AS n FROM experiment_failfast WHERE status = 'done'`);
        assert.equal(Number(rows[0]?.n), 200);
      }));

    it('TypeScript steps compiled once for the workers keep their import.meta of the source file', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('where');
        exp.addRuns(xs(4));
        for (const isolate of ['threads', 'processes'] as const) {
          const sum = await exp.execute(steps(FIXTURE, 'whereIsMyModule'), { jobs: 2, isolate, rerun: true });
          assert.equal(sum.done, 4);
          for (const run of exp.runs) {
            assert.equal(run.fields.url, FIXTURE);
            assert.equal(run.fields.dir, dirname(fileURLToPath(FIXTURE)));
          }
        }
      }));

    it('times out a busy run by replacing its worker; the other runs finish', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('timeout');
        exp.addRun({ ms: 60_000 });
        for (let i = 0; i < 5; i++) exp.addRun({ ms: i });
        const sum = await exp.execute(steps(FIXTURE, 'spin'), { jobs: 2, timeoutMs: 1500 });
        assert.equal(sum.done, 5);
        assert.equal(sum.failed, 1);
        assert.match(sum.failures[0]?.message ?? '', /timed out after 1500 ms/);
        assert.deepEqual(sum.failures[0]?.params, { ms: 60_000 });
      }));

    it('retries failed runs up to the count', () =>
      withSession(async (s) => {
        const dir = tempDir();
        const exp = await s.createExperiment('retries');
        exp.addRuns(xs(6));
        const sum = await exp.execute(steps(FIXTURE, 'flaky'), { jobs: 2, retries: 2, config: { dir, failTimes: 2 } });
        assert.equal(sum.done, 6);
        assert.equal(sum.retried, 12);
        for (const run of exp.runs) assert.equal(run.fields.attempts, 3);
        const few = await s.createExperiment('retries_short');
        few.addRuns(xs(3));
        const short = await few.execute(steps(FIXTURE, 'flaky'), {
          jobs: 2,
          retries: 1,
          config: { dir, failTimes: 2 },
        });
        assert.equal(short.failed, 3);
        assert.equal(short.failures[0]?.attempts, 2);
        assert.match(short.failures[0]?.message ?? '', /attempt 2 fails/);
      }));

    it('fails only the run that calls process.exit in a thread', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('exit');
        exp.addRuns(xs(30));
        const sum = await exp.execute(steps(FIXTURE, 'crashAt'), { jobs: 2, config: { crashAt: 13 }, runsPerTask: 10 });
        assert.equal(sum.done, 29);
        assert.equal(sum.failed, 1);
        assert.deepEqual(sum.failures[0]?.params, { x: 13 });
        assert.match(sum.failures[0]?.message ?? '', /called process\.exit\(7\)/);
      }));

    it('fails only the run whose worker process is killed', () =>
      withSession(async (s) => {
        const exp = await s.createExperiment('killed');
        exp.addRuns(xs(30));
        const sum = await exp.execute(steps(FIXTURE, 'crashAt'), {
          jobs: 2,
          isolate: 'processes',
          config: { crashAt: 13, hard: true },
          runsPerTask: 10,
        });
        assert.equal(sum.done, 29);
        assert.equal(sum.failed, 1);
        assert.deepEqual(sum.failures[0]?.params, { x: 13 });
        assert.match(sum.failures[0]?.message ?? '', /worker running this run died/);
      }));
  });
}
