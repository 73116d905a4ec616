// Where the lockstep of a generated project comes from: the registry, this
// checkout (by path, through its package directory), or a packed tarball.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import {
  ensureCheckoutPackage,
  installedFromFile,
  lockstepSource,
  lockstepSpec,
  publishedManifest,
} from '../../src/scaffold/source.ts';
import { VERSION } from '../../src/version.ts';
import { tempDir } from '../helpers.ts';
import { REPO } from './helpers.ts';

const exec = promisify(execFile);
const dev = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

test('the published manifest is the development one with the lockstep command and without what building needs', () => {
  const m = publishedManifest(dev);
  assert.deepEqual(m.bin, { lockstep: './bin/lockstep.js' });
  for (const gone of ['private', 'scripts', 'devDependencies', 'allowScripts']) assert.equal(m[gone], undefined, gone);
  for (const kept of ['name', 'version', 'exports', 'dependencies', 'files', 'engines', 'peerDependencies'])
    assert.deepEqual(m[kept], dev[kept], kept);
});

test('from this checkout, a project depends on its package directory by a relative path', () => {
  const source = lockstepSource();
  assert.deepEqual(source, { kind: 'checkout', path: join(REPO, 'pkg') });
  const target = join(tempDir(), 'project');
  const spec = lockstepSpec(target, 'npm', source);
  assert.match(spec, /^file:\.\.\//);
  assert.equal(join(target, spec.slice('file:'.length)), join(REPO, 'pkg'));
  assert.equal(lockstepSpec(target, 'pnpm', source), spec.replace(/^file:/, 'link:'));
  assert.equal(lockstepSpec(target, 'npm', { kind: 'registry' }), `^${VERSION}`);
});

test("the checkout's package directory: the published manifest, and links to the package's files and dependencies", () => {
  const dir = ensureCheckoutPackage();
  assert.equal(dir, join(REPO, 'pkg'));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), publishedManifest(dev));
  for (const name of [...dev.files, 'node_modules']) {
    if (!existsSync(join(REPO, name))) continue;
    assert.ok(lstatSync(join(dir, name)).isSymbolicLink(), name);
    assert.equal(realpathSync(join(dir, name)), realpathSync(join(REPO, name)), name);
  }
  assert.equal(ensureCheckoutPackage(), dir, 'idempotent');
});

/** An npm project with lockstep installed and npm's hidden lockfile saying where from. */
function installedAt(resolved: string): string {
  const project = tempDir('installed-');
  const root = join(project, 'node_modules', 'lockstep');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify(publishedManifest(dev)));
  const hidden = { lockfileVersion: 3, packages: { 'node_modules/lockstep': { version: VERSION, resolved } } };
  writeFileSync(join(project, 'node_modules', '.package-lock.json'), JSON.stringify(hidden));
  return root;
}

test('an installed lockstep: a tarball install is depended on by that file, a registry install by its version', () => {
  const fromTarball = installedAt('file:../dist/lockstep-0.1.0.tgz');
  const tarball = join(fromTarball, '../../../dist/lockstep-0.1.0.tgz');
  assert.equal(installedFromFile(fromTarball), tarball);
  assert.deepEqual(lockstepSource(fromTarball), { kind: 'tarball', path: tarball });
  const spec = lockstepSpec(join(fromTarball, '../../../p'), 'pnpm', lockstepSource(fromTarball));
  assert.equal(spec, 'file:../dist/lockstep-0.1.0.tgz');

  const fromRegistry = installedAt(`https://registry.npmjs.org/lockstep/-/lockstep-${VERSION}.tgz`);
  assert.deepEqual(lockstepSource(fromRegistry), { kind: 'registry' });
  const unknown = join(tempDir(), 'node_modules', 'lockstep'); // pnpm, yarn: no hidden lockfile
  mkdirSync(unknown, { recursive: true });
  writeFileSync(join(unknown, 'package.json'), JSON.stringify(publishedManifest(dev)));
  assert.deepEqual(lockstepSource(unknown), { kind: 'registry' });
});

test('npm run pack: a tarball with the published manifest, the command and the built files, not the sources', async () => {
  const out = tempDir('pack-');
  const { stdout } = await exec('npm', ['run', '-s', 'pack', '--', out], { cwd: REPO });
  const tarball = stdout.trim().split('\n').at(-1) ?? '';
  assert.equal(tarball, join(out, `lockstep-${VERSION}.tgz`));
  const manifest = JSON.parse((await exec('tar', ['-xzOf', tarball, 'package/package.json'])).stdout);
  assert.deepEqual(manifest, publishedManifest(dev));
  const files = (await exec('tar', ['-tzf', tarball], { maxBuffer: 16 << 20 })).stdout.split('\n');
  for (const f of ['bin/lockstep.js', 'dist/index.js', 'dist/cli/main.js', 'dist/ui/index.html', 'README.md'])
    assert.ok(files.includes(`package/${f}`), f);
  assert.ok(files.some((f) => f.startsWith('package/templates/init/')));
  assert.ok(!files.some((f) => f.startsWith('package/src/') || f === 'package/dist/.build'));
});
