import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { LockstepError, type Run, type Session } from '../../src/index.ts';
import { backends, freshSession } from '../helpers.ts';

const isError = (code: string, re: RegExp) => (e: unknown) =>
  e instanceof LockstepError && e.code === code && re.test(e.message);

for (const backend of backends()) {
  describe(`store on ${backend.name}`, () => {
    after(() => backend.cleanup());

    async function session(t: TestContext): Promise<Session | undefined> {
      const s = await freshSession(backend);
      if (!s) t.skip('PostgreSQL unavailable');
      else t.after(() => s.close());
      return s;
    }

    it('creates, lists, loads and deletes experiments', async (t) => {
      const s = await session(t);
      if (!s) return;
      const a = await s.createExperiment('alpha', { description: 'first' });
      await s.createExperiment('beta');
      a.addRuns({ x: [1, 2] });
      await a.execute((r) => {
        r.fields.y = (r.params.x as number) * 10;
      });
      const list = await s.listExperiments();
      assert.deepEqual(
        list.map((e) => [e.name, e.runs, e.description]),
        [
          ['alpha', 2, 'first'],
          ['beta', 0, null],
        ],
      );
      await assert.rejects(s.createExperiment('alpha'), isError('E_CONFLICT', /already exists/));
      const loaded = await s.createExperiment('alpha', { ifExists: 'load' });
      assert.equal(loaded.runs.length, 2);
      const replaced = await s.createExperiment('alpha', { ifExists: 'replace' });
      assert.equal(replaced.runs.length, 0);
      await s.deleteExperiment('beta');
      assert.deepEqual(
        (await s.listExperiments()).map((e) => e.name),
        ['alpha'],
      );
      await assert.rejects(s.loadExperiment('beta'), isError('E_NOT_FOUND', /no experiment named "beta"/));
    });

    it('adds the Cartesian product and executes every run with config', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('grid');
      exp.addRuns({ a: [1, 2, 3], b: [4, 5] });
      assert.equal(exp.runs.length, 6);
      assert.equal(exp.addRuns({ a: [1], b: [4] })[0], exp.runs.first(), 'an existing combination is not added twice');
      const summary = await exp.execute(
        [
          (r) => {
            r.vars.product = (r.params.a as number) * (r.params.b as number);
          },
          async (r) => {
            await new Promise((resolve) => setImmediate(resolve));
            r.fields.product = r.vars.product;
            r.state.kept = true;
          },
        ],
        { config: { seed: 7 } },
      );
      assert.equal(summary.done, 6);
      assert.equal(summary.failed, 0);
      for (const run of exp.runs) {
        assert.deepEqual(run.vars, {}, 'vars are dropped at the end of the run');
        assert.equal(run.state.kept, true, 'state stays in memory');
      }
      const rows = await s.query(`SELECT a, b, product, seed, status FROM experiment_grid ORDER BY product`);
      assert.deepEqual(
        rows.map((r) => [r.a, r.b, r.product, r.seed, r.status]),
        [
          [1, 4, 4, 7, 'done'],
          [1, 5, 5, 7, 'done'],
          [2, 4, 8, 7, 'done'],
          [2, 5, 10, 7, 'done'],
          [3, 4, 12, 7, 'done'],
          [3, 5, 15, 7, 'done'],
        ],
      );
      const loaded = await s.loadExperiment('grid');
      const run = loaded.runs.get(exp.runs.first().id) as Run;
      assert.deepEqual(run.config, { seed: 7 });
      assert.deepEqual(run.state, {}, 'state is not stored');
      assert.equal(Object.hasOwn(run.fields, 'kept'), false);
    });

    it('fails only the throwing run, with message and stack, unless failFast', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('failing');
      exp.addRuns({ i: [0, 1, 2, 3] });
      const step = (r: Run) => {
        if (r.params.i === 1) throw new Error('bad input i=1');
        r.fields.ok = true;
      };
      const summary = await exp.execute(step);
      assert.equal(summary.done, 3);
      assert.equal(summary.failed, 1);
      assert.equal(summary.failures[0]?.message, 'bad input i=1');
      assert.deepEqual(summary.failures[0]?.params, { i: 1 });
      const [row] = await s.query(`SELECT status, error, error_stack FROM experiment_failing WHERE error IS NOT NULL`);
      assert.equal(row?.status, 'failed');
      assert.equal(row?.error, 'bad input i=1');
      assert.match(String(row?.error_stack), /bad input i=1\n\s+at \S*step \(.*store\.test\.ts/);

      const fast = await s.createExperiment('failfast');
      fast.addRuns({ i: [0, 1, 2, 3] });
      const stopped = await fast.execute(step, { failFast: true });
      assert.equal(stopped.done, 1);
      assert.equal(stopped.failed, 1);
      assert.equal(stopped.notRun, 2);
    });

    it('executes only runs that are not done; rerun executes all', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('resume');
      exp.addRuns({ i: [0, 1, 2] });
      let calls = 0;
      let failOnce = true;
      const step = (r: Run) => {
        calls++;
        if (r.params.i === 2 && failOnce) throw new Error('transient');
        r.fields.v = r.params.i;
      };
      await exp.execute(step);
      assert.equal(calls, 3);
      failOnce = false;
      const again = await (await s.loadExperiment('resume')).execute(step);
      assert.equal(calls, 4, 'only the failed run executes again');
      assert.equal(again.skipped, 2);
      assert.equal(again.done, 1);
      await exp.execute(step, { rerun: true });
      assert.equal(calls, 7);
      const [count] = await s.query(`SELECT COUNT(*) AS n FROM experiment_resume WHERE status = 'done'`);
      assert.equal(Number(count?.n), 3);
    });

    it('stores scalars as native columns and round-trips every value type', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('values');
      const when = new Date('2025-01-02T03:04:05.678Z');
      const run = exp.addRun({ name: 'only' });
      await exp.execute((r) => {
        Object.assign(r.fields, {
          num: 0.1,
          int: 42,
          big: 2n ** 63n - 1n,
          hugeBig: 2n ** 100n,
          str: "it's",
          yes: true,
          when,
          obj: { a: [1, 2, { b: 'c' }] },
          list: [0.5, 1.5],
          f64: new Float64Array([1, Number.NaN, Number.POSITIVE_INFINITY]),
          i32: new Int32Array([-1, 2]),
          u8: new Uint8Array([1, 255]),
          map: new Map([['k', 1]]),
          set: new Set([1, 2]),
          nan: Number.NaN,
          ninf: Number.NEGATIVE_INFINITY,
          nothing: null,
        });
      });
      const loaded = (await s.loadExperiment('values')).runs.get(run.id) as Run;
      const f = loaded.fields;
      assert.equal(f.num, 0.1);
      assert.equal(f.int, 42);
      assert.equal(f.big, 2n ** 63n - 1n);
      assert.equal(f.hugeBig, 2n ** 100n);
      assert.equal(f.str, "it's");
      assert.equal(f.yes, true);
      assert.deepEqual(f.when, when);
      assert.deepEqual(f.obj, { a: [1, 2, { b: 'c' }] });
      assert.deepEqual(f.list, [0.5, 1.5]);
      assert.deepEqual(f.f64, new Float64Array([1, Number.NaN, Number.POSITIVE_INFINITY]));
      assert.ok(f.i32 instanceof Int32Array && f.u8 instanceof Uint8Array);
      assert.deepEqual(f.map, new Map([['k', 1]]));
      assert.deepEqual(f.set, new Set([1, 2]));
      assert.ok(Number.isNaN(f.nan));
      assert.equal(f.ninf, Number.NEGATIVE_INFINITY);
      assert.equal(f.nothing, undefined, 'null fields are not columns');

      const kinds = Object.fromEntries(Object.values(exp.columns).map((c) => [c.key, c.kind]));
      assert.deepEqual(
        [kinds.num, kinds.big, kinds.str, kinds.yes, kinds.when, kinds.obj, kinds.f64, kinds.hugeBig],
        ['number', 'bigint', 'string', 'boolean', 'date', 'json', 'binary', 'binary'],
      );
      // SQL sees native types and readable JSON
      if (s.dialect === 'sqlite') {
        const [r] = await s.query(
          `SELECT typeof(num) AS tn, typeof(big) AS tb, big, typeof(str) AS ts, yes, json_extract(obj, '$.a[2].b') AS jb, json_extract(list, '$[1]') AS l1 FROM experiment_values`,
        );
        assert.deepEqual(r, { tn: 'real', tb: 'integer', big: 2n ** 63n - 1n, ts: 'text', yes: 1, jb: 'c', l1: 1.5 });
      } else {
        const [r] = await s.query(
          `SELECT pg_typeof(num)::text AS tn, pg_typeof(big)::text AS tb, big, yes, pg_typeof("when")::text AS tw, obj->'a'->2->>'b' AS jb, (list->>1)::float AS l1 FROM experiment_values`,
        );
        assert.deepEqual(r, {
          tn: 'double precision',
          tb: 'bigint',
          big: 2n ** 63n - 1n,
          yes: true,
          tw: 'timestamp with time zone',
          jb: 'c',
          l1: 1.5,
        });
      }
    });

    it('a column that changes kind between writes of one session takes the new kind (no statement keeps the old one)', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('rekind');
      const a = exp.addRun({ i: 0 });
      a.fields.o = { deep: [1, 2] };
      await exp.persist();
      const b = exp.addRun({ i: 1 });
      b.fields.o = new Map([['k', 1]]);
      await exp.persist();
      const c = exp.addRun({ i: 2 });
      c.fields.o = { again: true };
      await exp.persist();
      const back = await s.loadExperiment('rekind');
      assert.deepEqual(back.runs.get(a.id)?.fields.o, { deep: [1, 2] });
      assert.deepEqual(back.runs.get(b.id)?.fields.o, new Map([['k', 1]]));
      assert.deepEqual(back.runs.get(c.id)?.fields.o, { again: true });
      assert.equal(back.columns.o?.kind, 'binary');
    });

    it('types columns from all runs: a field that is a number in one run and a string in another', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('mixed');
      exp.addRuns({ i: [0, 1, 2] });
      const fill = (r: Run) => {
        if (r.params.i === 3) {
          r.fields.v = true;
          r.fields.late = 4.5;
          return;
        }
        r.fields.v = r.params.i === 1 ? 'one' : (r.params.i as number);
        r.fields.late = r.params.i === 0 ? null : 3.5;
      };
      await exp.execute(fill);
      // a second batch (the same step: only the new run executes) brings yet another type to an existing column
      const extra = exp.addRun({ i: 3 });
      assert.equal((await exp.execute(fill)).executed, 1);
      const loaded = await s.loadExperiment('mixed');
      const byI = new Map(loaded.runs.map((r) => [r.params.i, r.fields]));
      assert.equal(byI.get(0)?.v, 0);
      assert.equal(byI.get(1)?.v, 'one');
      assert.equal(byI.get(2)?.v, 2);
      assert.equal(byI.get(3)?.v, true);
      assert.equal(loaded.runs.get(extra.id)?.fields.late, 4.5);
      const cols = loaded.columns;
      assert.equal(cols.v?.kind, 'binary');
      assert.equal(cols.late?.kind, 'number', 'a column that started with nulls takes the type of its values');
    });

    it('refuses unstorable values naming the run and field, writing nothing', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('unstorable');
      exp.addRuns({ i: [0, 1] });
      await exp.execute(
        (r) => {
          r.fields.ok = 1;
        },
        { persist: false },
      );
      const bad = exp.runs.at(1) as Run;
      bad.fields.model = { predict: () => 1 };
      await assert.rejects(exp.persist(), isError('E_VALUE', new RegExp(`run ${bad.id}: field "model".*a function`)));
      const [count] = await s.query('SELECT COUNT(*) AS n FROM experiment_unstorable');
      assert.equal(Number(count?.n), 0, 'nothing half-written');

      const cyc: Record<string, unknown> = {};
      cyc.me = cyc;
      bad.fields.model = cyc;
      await assert.rejects(exp.persist(), isError('E_VALUE', /field "model".*cycle/));

      // during execute, the run whose value cannot be stored fails and the others are kept
      const exp2 = await s.createExperiment('unstorable2');
      exp2.addRuns({ i: [0, 1, 2] });
      const summary = await exp2.execute((r) => {
        r.fields.fn = r.params.i === 1 ? Symbol('x') : 'fine';
      });
      assert.equal(summary.done, 2);
      assert.equal(summary.failed, 1);
      assert.match(summary.failures[0]?.message ?? '', /field "fn".*a symbol/);
      const rows = await s.query('SELECT status FROM experiment_unstorable2 ORDER BY status');
      assert.deepEqual(
        rows.map((r) => r.status),
        ['done', 'done', 'failed'],
      );
    });

    it('logs metric series with steps and timestamps; re-execution replaces them', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('metrics');
      const run = exp.addRun({ lr: 0.1 });
      const before = Date.now();
      let again = false;
      const train = (r: Run) => {
        if (again) return r.log('loss', 9);
        for (let i = 0; i < 5; i++) r.log('loss', 1 / (i + 1));
        r.log('acc', 0.5, 10);
        r.log('acc', 0.7, 20);
      };
      await exp.execute(train);
      const points = await exp.metrics(run.id, 'loss');
      assert.deepEqual(
        points.map((p) => [p.step, p.value]),
        [
          [0, 1],
          [1, 0.5],
          [2, 1 / 3],
          [3, 0.25],
          [4, 0.2],
        ],
      );
      assert.ok(points.every((p) => p.timestamp >= before && p.timestamp <= Date.now()));
      assert.deepEqual(
        (await exp.metrics(run.id, 'acc')).map((p) => p.step),
        [10, 20],
      );
      again = true;
      await exp.execute(train, { rerun: true });
      assert.deepEqual(
        (await exp.metrics(run.id)).map((p) => [p.key, p.value]),
        [['loss', 9]],
      );
      assert.throws(() => run.log('', 1), isError('E_INPUT', /non-empty/));
      assert.throws(() => run.log('x', '1' as unknown as number), isError('E_INPUT', /must be a number/));
    });

    it('persists an existing experiment in place and adds columns for new fields', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('inplace');
      exp.addRuns({ i: [0, 1] });
      await exp.execute((r) => {
        r.fields.a = 1;
      });
      const loaded = await s.loadExperiment('inplace');
      const first = loaded.runs.first();
      first.fields.b = 'new';
      first.dirty = true;
      await loaded.persist();
      const rows = await s.query('SELECT run_id, a, b FROM experiment_inplace ORDER BY run_id');
      assert.equal(rows.length, 2);
      assert.deepEqual(new Set(rows.map((r) => r.run_id)), new Set(exp.runs.map((r) => r.id)));
      assert.equal(rows.find((r) => r.run_id === first.id)?.b, 'new');
    });

    it('sanitises names and refuses collisions clearly', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('names');
      exp.addRun({ 'learning-rate': 0.1 });
      await exp.execute((r) => {
        r.fields['val/acc'] = 0.9;
      });
      const [row] = await s.query('SELECT learning_rate, val_acc FROM experiment_names');
      assert.deepEqual(row, { learning_rate: 0.1, val_acc: 0.9 });
      const loaded = await s.loadExperiment('names');
      assert.deepEqual(loaded.runs.first().params, { 'learning-rate': 0.1 }, 'original keys come back');

      const clash = await s.createExperiment('clash');
      clash.addRun({ lr: 1 });
      await assert.rejects(
        clash.run({ lr: 2 }, (r) => {
          r.fields.LR = 3;
        }),
        isError('E_CONFLICT', /field "LR" and param "lr" would share the column/),
      );
      await assert.rejects(
        clash.run({ z: 1 }, (r) => {
          r.fields.status = 'x';
        }),
        isError('E_CONFLICT', /reserved run column "status"/),
      );
      await s.createExperiment('a-b');
      await assert.rejects(s.createExperiment('a_b'), isError('E_CONFLICT', /would share table experiment_a_b/));
      await assert.rejects(s.createExperiment(''), isError('E_INPUT', /non-empty/));
      await assert.rejects(s.createExperiment('x'.repeat(501)), isError('E_INPUT', /the limit is 500/));
      // long names get a shortened table name with a hash of the whole name (PostgreSQL cut such names, and
      // their indexes' names, to 63 characters and refused the second of two names sharing 52 characters)
      const long = [`${'x'.repeat(60)}-a`, `${'x'.repeat(60)}-b`, 'y'.repeat(500)];
      for (const name of long) await (await s.createExperiment(name)).run({ k: 1 }, () => undefined);
      const tables = (await s.listExperiments()).filter((e) => long.includes(e.name)).map((e) => e.tableName);
      assert.equal(new Set(tables).size, 3);
      for (const t of tables) assert.match(t, /^experiment_[xy]{43}_[0-9a-f]{8}$/);
      assert.equal((await s.loadExperiment(long[1] as string)).runs.length, 1);
      assert.equal((await s.createExperiment('z'.repeat(52))).tableName, `experiment_${'z'.repeat(52)}`);
    });

    it('runs a single inline run and rethrows its failure after storing it', async (t) => {
      const s = await session(t);
      if (!s) return;
      const exp = await s.createExperiment('inline');
      const run = await exp.run(async (r) => {
        r.fields.score = 0.75;
        r.log('loss', 0.3);
      });
      assert.equal(run.status, 'done');
      await assert.rejects(
        exp.run({ attempt: 2 }, () => {
          throw new Error('diverged');
        }),
        isError('E_RUN', /diverged/),
      );
      const rows = await s.query('SELECT status, score, error FROM experiment_inline ORDER BY status');
      assert.deepEqual(
        rows.map((r) => [r.status, r.score, r.error]),
        [
          ['done', 0.75, null],
          ['failed', null, 'diverged'],
        ],
      );
    });

    it('answers SQL with plain rows and reports bad SQL as E_SQL', async (t) => {
      const s = await session(t);
      if (!s) return;
      const rows = await s.query('SELECT 1 AS one, 2 + 3 AS five');
      assert.deepEqual(rows, [{ one: 1, five: 5 }]);
      await assert.rejects(s.query('SELEKT nonsense'), isError('E_SQL', /syntax/i));
    });
  });
}
