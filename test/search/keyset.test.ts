// Paging the runs table by cursor (keyset) on an index of the sorted column:
// following `next` page by page, or jumping to an offset, gives exactly the
// order of one big sorted read (runs without a value last, ties by run id),
// on both backends and for every scalar kind.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { queryRuns, type RunRow } from '../../src/search/index.ts';
import { backends, withFreshSession } from '../helpers.ts';

const N = 157;

/** The reference order: values ascending or descending, ties and missing values by run id in the same direction. */
function reference(rows: RunRow[], col: string, order: 'asc' | 'desc'): string[] {
  const sign = order === 'asc' ? 1 : -1;
  const cmp = (a: unknown, b: unknown) => {
    const x = typeof a === 'bigint' || a instanceof Date ? Number(a instanceof Date ? a.getTime() : a) : a;
    const y = typeof b === 'bigint' || b instanceof Date ? Number(b instanceof Date ? b.getTime() : b) : b;
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    return (x as number | string) < (y as number | string)
      ? -1
      : (x as number | string) > (y as number | string)
        ? 1
        : 0;
  };
  const valued = rows.filter((r) => r[col] !== null);
  const empty = rows.filter((r) => r[col] === null);
  const byId = (a: RunRow, b: RunRow) => sign * ((a.run_id as string) < (b.run_id as string) ? -1 : 1);
  valued.sort((a, b) => sign * cmp(a[col], b[col]) || byId(a, b));
  empty.sort(byId);
  return [...valued, ...empty].map((r) => r.run_id as string);
}

for (const backend of backends()) {
  describe(`keyset paging of runs on ${backend.name}`, () => {
    after(() => backend.cleanup());

    it('follows cursors and offsets through every kind of column, with missing values and ties', async () => {
      await withFreshSession(backend, async (s) => {
        const exp = await s.createExperiment('paged');
        exp.addRuns({ i: Array.from({ length: N }, (_, i) => i) });
        await exp.execute((run) => {
          const i = run.params.i as number;
          // ties (i % 10), a missing value for every seventh run, negative and fractional numbers
          if (i % 7 !== 3) run.fields.score = ((i * 37) % 10) - 4.5;
          run.fields.name = `n${(i * 13) % 20}`;
          run.fields.big = 9007199254740993n + BigInt((i * 7) % 11);
          run.fields.flag = i % 3 === 0;
          if (i % 5 !== 0) run.fields.when = new Date(Date.UTC(2024, 0, 1 + ((i * 3) % 17)));
        });
        const store = s.store;
        const fresh = await s.loadExperiment('paged');
        const record = await store.requireExperiment(fresh.name);
        const { rows: everything } = await queryRuns(store, record, { limit: 10_000 });
        assert.equal(everything.length, N);

        for (const col of ['score', 'name', 'big', 'flag', 'when', 'i']) {
          for (const order of ['asc', 'desc'] as const) {
            const want = reference(everything, col, order);
            // page by page through the cursor
            const got: string[] = [];
            let after: string | undefined;
            for (let page = 0; page < 100; page++) {
              const res = await queryRuns(store, record, { sort: col, order, limit: 20, count: false, after });
              got.push(...res.rows.map((r) => r.run_id as string));
              if (!res.next) break;
              after = res.next;
            }
            assert.deepEqual(got, want, `${col} ${order} by cursor`);
            // jumps: any offset gives the same slice, including ones past the valued runs
            for (const offset of [0, 19, 100, 140, 150, 156, 157]) {
              const res = await queryRuns(store, record, { sort: col, order, limit: 9, offset });
              assert.deepEqual(
                res.rows.map((r) => r.run_id),
                want.slice(offset, offset + 9),
                `${col} ${order} offset ${offset}`,
              );
              assert.equal(res.total, N);
            }
          }
        }

        // a filter holds on every page, and the cursor of a filtered page continues it
        const filter = 'fields.flag = true or fields.score > 2';
        const { rows: matching, total } = await queryRuns(store, record, { filter, limit: 10_000 });
        const want = reference(matching, 'score', 'desc');
        const first = await queryRuns(store, record, { filter, sort: 'score', order: 'desc', limit: 25 });
        const second = await queryRuns(store, record, {
          filter,
          sort: 'score',
          order: 'desc',
          limit: 1000,
          after: first.next as string,
        });
        assert.equal(total, want.length);
        assert.deepEqual(
          [...first.rows, ...second.rows].map((r) => r.run_id),
          want,
        );
        assert.equal(second.next, null);

        await assert.rejects(queryRuns(store, record, { sort: 'score', after: 'garbage' }), /after: not a cursor/);
        await assert.rejects(
          queryRuns(store, record, { sort: 'metrics.loss', after: first.next as string }),
          /only a sort on one column/,
        );
      });
    });
  });
}
