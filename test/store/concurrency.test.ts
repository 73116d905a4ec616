import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { createSession } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, '..', 'fixtures', 'write-experiment.ts');

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
