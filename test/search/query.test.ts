import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { queryRuns, setTags } from '../../src/search/index.ts';
import { backends, freshSession } from '../helpers.ts';

for (const backend of backends()) {
  describe(`search grammar on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const session = await freshSession(backend);
    if (!session) return;
    after(() => session.close());
    const exp = await session.createExperiment('grid');
    exp.addRuns({ model: ['knn', 'tree', 'KNN'], k: [1, 3] });
    let i = 0;
    await exp.execute((run) => {
      i++;
      run.fields.acc = i / 10; // 0.1 … 0.6
      run.fields.ok = i % 2 === 0;
      run.log('loss', 10 - i, 0);
      run.log('loss', 5 - i, 1); // latest
      if (i === 6) throw new Error('boom');
    });
    const record = await session.store.requireExperiment('grid');
    const ids = [...exp.runs].map((r) => r.id);
    await setTags(session.store.driver, record.id, ids[0] as string, { 'x-y': 'abc', 'mlflow.runName': 'first' });
    await setTags(session.store.driver, record.id, ids[1] as string, { 'x-y': 'ABC' });

    const find = async (filter: string) => {
      const { rows, total } = await queryRuns(session.store, record, { filter, sort: 'fields.acc', limit: 100 });
      assert.equal(total, rows.length);
      return rows.map((r) => r.acc);
    };

    it('compares params, fields and bare columns', async () => {
      assert.deepEqual(await find("params.model = 'knn'"), [0.1, 0.2]);
      assert.deepEqual(await find("params.model = 'knn' and params.k = 3"), [0.2]);
      assert.deepEqual(await find("params.k = '3' and acc >= 0.4"), [0.4, 0.6]);
      assert.deepEqual(await find('ok = true'), [0.2, 0.4, 0.6]);
      assert.deepEqual(await find('params.nope = 1'), []);
    });

    it('supports OR, NOT, parentheses and IN', async () => {
      assert.deepEqual(await find("params.model = 'tree' or fields.acc < 0.2"), [0.1, 0.3, 0.4]);
      assert.deepEqual(await find("not (params.model in ('knn', 'KNN'))"), [0.3, 0.4]);
      assert.deepEqual(await find("params.model not in ('knn', 'KNN') and not params.k = 1"), [0.4]);
    });

    it("compares a metric's latest value", async () => {
      assert.deepEqual(await find('metrics.loss <= 2'), [0.3, 0.4, 0.5, 0.6]);
      assert.deepEqual(await find('metrics.loss > 3.5'), [0.1]);
    });

    it('maps MLflow statuses and attributes', async () => {
      assert.deepEqual(await find("attributes.status = 'FAILED'"), [0.6]);
      assert.deepEqual(await find("status != 'failed' and attributes.start_time > 0"), [0.1, 0.2, 0.3, 0.4, 0.5]);
      assert.deepEqual(await find("attributes.run_name = 'first'"), [0.1]);
    });

    it('keeps LIKE case-sensitive and ILIKE not, on both databases', async () => {
      assert.deepEqual(await find("params.model LIKE 'k%'"), [0.1, 0.2]);
      assert.deepEqual(await find("params.model ILIKE 'k%'"), [0.1, 0.2, 0.5, 0.6]);
      assert.deepEqual(await find('tags."x-y" LIKE \'a%\''), [0.1]);
      assert.deepEqual(await find("tags.`x-y` ILIKE 'a_c'"), [0.1, 0.2]);
      assert.deepEqual(await find("params.model NOT LIKE 'k%'"), [0.3, 0.4, 0.5, 0.6]);
    });

    it('treats values as parameters, never as SQL', async () => {
      assert.deepEqual(await find("params.model = 'x'' OR 1=1 --'"), []);
      const rows = await session.query(`SELECT COUNT(*) AS n FROM ${record.tableName}`);
      assert.equal(Number(rows[0]?.n), 6);
    });

    it('sorts, pages and adds latest metrics', async () => {
      const page = await queryRuns(session.store, record, { sort: 'metrics.loss', order: 'desc', offset: 1, limit: 2 });
      assert.equal(page.total, 6);
      assert.deepEqual(
        page.rows.map((r) => r['metrics.loss']),
        [3, 2],
      );
      const cols = await queryRuns(session.store, record, { columns: ['acc'], limit: 1 });
      assert.deepEqual(Object.keys(cols.rows[0] ?? {}).sort(), [
        'acc',
        'ended_at',
        'error',
        'metrics.loss',
        'run_id',
        'started_at',
        'status',
      ]);
    });

    it('refuses unknown names and wrong types with the position', async () => {
      for (const [filter, pos] of [
        ['nope = 1', 0],
        ['acc > 1 and foo.x = 1', 12],
        ["metrics.loss > 'abc'", 13],
      ] as const) {
        await assert.rejects(queryRuns(session.store, record, { filter }), (e) => {
          assert.ok(isLockstepError(e, 'E_INPUT'));
          assert.equal(e.details?.position, pos, filter);
          return true;
        });
      }
    });
  });
}
