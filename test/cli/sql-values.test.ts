// `lockstep sql STATEMENT VALUES…` on both backends: the values are typed the way each stores them.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { backends, postgresAvailable, runCli } from '../helpers.ts';

for (const backend of backends()) {
  describe(`lockstep sql with values (${backend.name})`, () => {
    after(() => backend.cleanup());
    it('binds a boolean, a number and a string where the placeholders are', async () => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return;
      const url = await backend.fresh();
      const s = await createSession(url);
      const exp = await s.createExperiment('flags');
      exp.addRuns({ k: [1, 2, 3] });
      await exp.execute((r) => {
        r.fields.big = (r.params.k as number) > 1;
        r.fields.name = `m${r.params.k}`;
      });
      await s.close();
      const marks = backend.name === 'postgres' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
      const out = await runCli([
        'sql',
        `SELECT k FROM experiment_flags WHERE big = ${marks[0]} AND k >= ${marks[1]} AND name <> ${marks[2]} ORDER BY k`,
        'true',
        '2',
        'm3',
        '--db',
        url,
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, 'k\n2\n');
    });
  });
}
