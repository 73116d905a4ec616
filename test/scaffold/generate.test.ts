import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { defaultChoices } from '../../src/scaffold/defaults.ts';
import { initProject } from '../../src/scaffold/index.ts';
import { tempDir } from '../helpers.ts';

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

test('a machine without a git identity still gets the first commit, signed by the author', async () => {
  const saved = process.env.GIT_CONFIG_GLOBAL;
  process.env.GIT_CONFIG_GLOBAL = '/dev/null'; // as on a fresh CI machine: no user.name, no user.email
  try {
    const dir = join(tempDir(), 'p');
    const result = await initProject(dir, defaultChoices(dir, { author: 'Grace Hopper' }));
    assert.equal(result.git.done, true);
    assert.equal(git(dir, 'log', '--format=%an <%ae>'), 'Grace Hopper <lockstep-init@localhost>');
    const blank = join(tempDir(), 'q');
    await initProject(blank, defaultChoices(blank, { author: '' }));
    assert.equal(git(blank, 'log', '--format=%an'), 'lockstep init');
  } finally {
    if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = saved;
  }
});

test('the first commit holds every generated file and nothing else', async () => {
  const dir = join(tempDir(), 'p');
  const result = await initProject(dir, defaultChoices(dir, { author: 'A' }));
  const committed = git(dir, 'ls-files').split('\n').sort();
  assert.deepEqual(committed, [...result.files].sort());
  for (const f of ['.gitignore', '.env.example', 'data/raw/.gitkeep', 'package.json'])
    assert.ok(committed.includes(f), f);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.type, 'module');
  // from a checkout (this one): a path to its package directory (see source.test.ts)
  assert.match(pkg.dependencies.lockstep, /^file:.*\/pkg$/);
  assert.ok(pkg.dependencies.zod, 'zod, for the config schemas');
});

test('a bad choice or a non-empty target throws before anything is written', async () => {
  const parent = tempDir();
  const dir = join(parent, 'p');
  await assert.rejects(initProject(dir, defaultChoices(dir, { packageName: 'UPPER' })), (e) =>
    isLockstepError(e, 'E_INPUT'),
  );
  assert.deepEqual(readdirSync(parent), []);
  await assert.rejects(
    initProject(parent, defaultChoices(parent, { author: 'A' })).then(() =>
      initProject(parent, defaultChoices(parent, { author: 'A' })),
    ),
    (e) => isLockstepError(e, 'E_CONFLICT') && /is not empty/.test(e.message),
  );
});
