import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { defaultChoices } from '../../src/scaffold/defaults.ts';
import { planProject } from '../../src/scaffold/files.ts';
import {
  checkDataRemote,
  checkPackageName,
  LICENSES,
  pickChoice,
  toPackageName,
  validateChoices,
} from '../../src/scaffold/options.ts';
import { packageScripts, remoteDataPath } from '../../src/scaffold/package-json.ts';

test('package names follow npm rules', () => {
  for (const ok of ['iris', 'iris-study', '@team/iris.v2', 'a_b~c']) assert.equal(checkPackageName(ok), undefined, ok);
  for (const bad of ['', 'Iris', '.hidden', '_x', 'has space', 'a/b', 'x'.repeat(215)]) {
    assert.ok(checkPackageName(bad), `"${bad}" should be refused`);
  }
});

test('a project name becomes a valid package name', () => {
  assert.equal(toPackageName('Iris Study!'), 'iris-study');
  assert.equal(toPackageName('Café Données'), 'cafe-donnees');
  assert.equal(toPackageName('***'), 'ml-project');
  for (const n of ['Iris Study!', '_x y', '  Über  ', '..a'])
    assert.equal(checkPackageName(toPackageName(n)), undefined);
});

test('data remotes must be shell-safe rclone remotes', () => {
  for (const ok of ['s3:bucket/project', 'gdrive:', '/tmp/remote', 'b2:my-bucket/a_b']) {
    assert.equal(checkDataRemote(ok), undefined, ok);
  }
  for (const bad of ['has space:x', 'x;rm -rf', "q'uote", '-flag', 'a$(b)']) assert.ok(checkDataRemote(bad), bad);
  assert.equal(remoteDataPath('s3:bucket/p'), 's3:bucket/p/data');
  assert.equal(remoteDataPath('gdrive:'), 'gdrive:data');
});

test('choices are matched case-insensitively and bad ones are named', () => {
  assert.equal(pickChoice('--license', 'mit', LICENSES), 'MIT');
  assert.equal(pickChoice('--license', 'bsd-3-clause', LICENSES), 'BSD-3-Clause');
  assert.throws(
    () => pickChoice('--license', 'GPL', LICENSES),
    (e) =>
      isLockstepError(e, 'E_INPUT') && /--license must be one of none, MIT, BSD-3-Clause; got "GPL"/.test(e.message),
  );
  assert.throws(() => validateChoices(defaultChoices('/tmp/x', { packageName: 'Bad Name' })), /not a valid npm/);
  assert.throws(() => validateChoices(defaultChoices('/tmp/x', { description: 'two\nlines' })), /single line/);
});

test('defaults: name from the directory, MIT, npm, node tests, Biome, no remote, example, git', () => {
  const c = defaultChoices('/tmp/My Project');
  assert.equal(c.projectName, 'My Project');
  assert.equal(c.packageName, 'my-project');
  assert.deepEqual(
    [c.license, c.packageManager, c.testRunner, c.linter, c.dataRemote, c.example, c.git],
    ['MIT', 'npm', 'node', 'biome', null, true, true],
  );
  assert.match(c.lockstepSpec, /^file:.*\/pkg$/, 'from a checkout, a path to its package directory');
  assert.match(defaultChoices('/tmp/p', { packageManager: 'pnpm' }).lockstepSpec, /^link:.*\/pkg$/);
});

test('every stage has a package script, and the data scripts follow the remote', () => {
  const none = packageScripts(defaultChoices('/tmp/p'));
  for (const s of ['data', 'features', 'train', 'predict', 'test', 'lint', 'data:pull', 'data:push']) {
    assert.ok(none[s], `missing script ${s}`);
  }
  assert.match(none['data:pull'] ?? '', /No data remote is configured/);
  const remote = packageScripts(
    defaultChoices('/tmp/p', { dataRemote: 's3:b/p', testRunner: 'vitest', linter: 'none' }),
  );
  assert.equal(remote['data:pull'], 'rclone copy s3:b/p/data data --exclude .gitkeep');
  assert.equal(remote['data:push'], 'rclone copy data s3:b/p/data --exclude .gitkeep');
  assert.equal(remote.test, 'vitest run');
  assert.equal(remote.lint, 'tsc --noEmit');
});

test('every combination of choices renders (no template names a value it lacks)', () => {
  let combos = 0;
  for (const license of LICENSES)
    for (const packageManager of ['npm', 'pnpm'] as const)
      for (const testRunner of ['node', 'vitest'] as const)
        for (const linter of ['biome', 'none'] as const)
          for (const example of [true, false])
            for (const dataRemote of [null, 's3:b/p']) {
              const given = { author: 'A', license, packageManager, testRunner, linter, example, dataRemote };
              const c = defaultChoices('/tmp/p', given);
              const planned = planProject(c);
              for (const f of planned) assert.doesNotMatch(f.content, /\{\{|\}\}/, `${f.path} kept a template tag`);
              const files = planned.map((f) => f.path);
              assert.equal(files.includes('LICENSE'), license !== 'none');
              assert.equal(files.includes('biome.json'), linter === 'biome');
              assert.equal(files.includes('src/modeling/model.ts'), example);
              combos++;
            }
  assert.equal(combos, 96);
});
