// The README's walk: the iris demo registers its best model, which then serves predictions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createSession } from '../../src/index.ts';
import { createServeApp } from '../../src/serve/app.ts';
import { tempDir } from '../helpers.ts';
import { SETOSA } from './fixture.ts';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

test('npm run demo registers iris@champion, which lockstep serve answers with', async () => {
  const dir = tempDir();
  const db = join(dir, 'lockstep.db');
  const { stdout } = await exec(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(root, 'examples', 'iris', 'main.ts')],
    { cwd: root, env: { ...process.env, LOCKSTEP_DB: db, LOCKSTEP_BLOBS: '', LOCKSTEP_CACHE: '' } },
  );
  assert.match(stdout, /Registered the best \(\w+\) as models:\/iris\/1, alias champion/);
  const session = await createSession(db);
  try {
    const champion = await session.models.resolve('models:/iris@champion');
    assert.equal(champion.version, 1);
    const [best] = await session.query('SELECT accuracy FROM experiment_iris ORDER BY accuracy DESC LIMIT 1');
    assert.equal(champion.metrics.accuracy, best?.accuracy);
    assert.ok(champion.runId);
    assert.deepEqual(
      (await session.datasets.usedBy(champion.runId as string)).map((d) => d.name),
      ['iris'],
    );
    assert.deepEqual(
      (await session.artifacts.list(champion.runId as string)).map((a) => a.name),
      ['model.json'],
    );
    const app = await createServeApp({ session, uri: 'models:/iris@champion' });
    const res = await app.inject({ method: 'POST', url: '/predict', payload: SETOSA });
    assert.equal(res.json().prediction.label, 'setosa');
    const evaluation = (await app.inject({ method: 'POST', url: '/evaluate', payload: { dataset: 'iris' } })).json();
    assert.ok(evaluation.metrics.accuracy > 0.93, `training-set accuracy ${evaluation.metrics.accuracy}`);
    await app.close();
  } finally {
    await session.close();
  }
});
