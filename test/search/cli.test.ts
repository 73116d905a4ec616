import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { backends, postgresAvailable, runCli } from '../helpers.ts';

const cli = (args: string[]) => runCli(args);

for (const backend of backends()) {
  describe(`lockstep runs --filter on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    const url = await backend.fresh();
    const s = await createSession(url);
    const exp = await s.createExperiment('grid');
    exp.addRuns({ model: ['knn', 'tree'], k: [1, 3] });
    let i = 0;
    await exp.execute((r) => {
      i++;
      r.fields.acc = i / 10;
      r.log('loss', 5 - i);
    });
    await s.close();

    it('filters with the search grammar, alone or with --where', async () => {
      const res = await cli([
        'runs',
        'grid',
        '--db',
        url,
        '--filter',
        "metrics.loss < 2 or params.model = 'knn' and k = 1",
        '--sort',
        'acc',
        '--json',
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(
        JSON.parse(res.stdout).map((r: { acc: number }) => r.acc),
        [0.1, 0.4],
      );
      const both = await cli(['runs', 'grid', '--db', url, '--filter', 'acc > 0.1', '--where', 'k = 3', '--json']);
      assert.deepEqual(
        JSON.parse(both.stdout)
          .map((r: { acc: number }) => r.acc)
          .sort(),
        [0.2, 0.4],
      );
    });

    it('exits 2 with the position of a malformed filter', async () => {
      const res = await cli(['runs', 'grid', '--db', url, '--filter', 'metrics.loss < ']);
      assert.equal(res.code, 2);
      assert.match(res.stderr, /position 15/);
    });
  });
}
