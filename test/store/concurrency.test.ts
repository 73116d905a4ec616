import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { createSession } from '../../src/index.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, '..', 'fixtures', 'write-experiment.ts');
const sharedSweep = join(import.meta.dirname, '..', 'fixtures', 'shared-sweep.ts');

it('two processes writing different experiments to one SQLite file both succeed', async () => {
  const db = join(tempDir(), 'shared.db');
  const write = (name: string) => run(process.execPath, ['--import', 'tsx', fixture, db, name, '2000']);
  const [a, b] = await Promise.all([write('proc_a'), write('proc_b')]);
  assert.equal(JSON.parse(a.stdout).done, 2000);
  assert.equal(JSON.parse(b.stdout).done, 2000);
  const session = await createSession(db);
  try {
    const list = await session.listExperiments();
    assert.deepEqual(
      list.map((e) => [e.name, e.runs]),
      [
        ['proc_a', 2000],
        ['proc_b', 2000],
      ],
    );
    const [check] = await session.query('PRAGMA integrity_check');
    assert.equal(check?.integrity_check, 'ok');
    const [sum] = await session.query('SELECT SUM(square) AS s FROM experiment_proc_b');
    assert.equal(sum?.s, (1999 * 2000 * 3999) / 6);
  } finally {
    await session.close();
  }
});

for (const backend of backends()) {
  it(`four processes starting the same sweep at once on ${backend.name}: one row per params, the work shared`, async (t) => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('no PostgreSQL');
    // a fresh schema, created by the four processes at the same moment
    const url = await backend.fresh();
    try {
      const N = 120;
      const outs = await Promise.all(
        Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', sharedSweep, url, String(N), '50'])),
      );
      const summaries = outs.map((o) => JSON.parse(o.stdout) as { executed: number; skipped: number; failed: number });
      assert.ok(summaries.every((s) => s.failed === 0));
      const executed = summaries.reduce((a, s) => a + s.executed, 0);
      const session = await createSession(url);
      try {
        const [c] = await session.query(
          "SELECT COUNT(*) AS n, COUNT(DISTINCT params_key) AS k, SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done FROM experiment_shared",
        );
        assert.deepEqual([Number(c?.n), Number(c?.k), Number(c?.done)], [N, N, N], 'a run per params, all done');
        assert.ok(executed >= N, `every run executed (${executed})`);
        assert.ok(executed < 1.5 * N, `the processes shared the sweep: ${executed} executions for ${N} runs`);
        const pids = await session.query('SELECT COUNT(DISTINCT pid) AS p FROM experiment_shared');
        assert.ok(Number(pids[0]?.p) >= 2, 'more than one process did runs');
      } finally {
        await session.close();
      }
    } finally {
      await backend.cleanup();
    }
  });
}
