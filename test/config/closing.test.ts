// A successful `lockstep run` says what it did: the run (or the sweep's
// tasks), how long it took, where its lock is, and what --resume skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { makeRepo } from '../lock/fixtures.ts';

const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];
const SCRIPT = fileURLToPath(new URL('./fixtures/train.ts', import.meta.url));

test('lockstep run, --resume and a sweep end with one closing line on stderr', () => {
  const cwd = makeRepo();
  const db = join(cwd, 'x.db');
  const env = { ...process.env, LOCKSTEP_HASH_CACHE: join(tempDir(), 'hashes.db') };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [...CLI, 'run', SCRIPT, '--db', db, ...args], { cwd, encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    return r.stderr.trim().split('\n').at(-1) ?? '';
  };
  assert.match(run(), /^lockstep: train: run [0-9a-f]{8} done in [\d.]+ s, locked in results\/train\/run\.lock$/);
  assert.match(run('--resume'), /^lockstep: train: run [0-9a-f]{8} was already done \(--resume\): nothing ran$/);
  assert.match(
    run('--sweep', 'lr=0.1,0.2'),
    /^lockstep: train: 2 tasks done in [\d.]+ s, locked under results\/train$/,
  );
  assert.match(
    run('--sweep', 'lr=0.1,0.2,0.3', '--resume'),
    /^lockstep: train: 1 task done in [\d.]+ s, 2 already done \(--resume\), locked under results\/train$/,
  );
});
