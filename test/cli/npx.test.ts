// `npx lockstep` in a checkout after `npm ci`: the command npm linked runs at
// once. npx runs a bin declared by the project's own package.json by first
// installing the project into its cache (a link, on which npm runs the
// `prepare` build: tsc and vite, 18-79 s) and then loading the whole
// dependency tree on every call (~3 s); so the checkout's manifest declares
// no bin, and a linked development dependency (scripts/bin-link) puts
// `lockstep` into node_modules/.bin, which npx runs directly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VERSION } from '../../src/version.ts';
import { tempDir } from '../helpers.ts';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));

test('npm ci links node_modules/.bin/lockstep to the checkout, and the manifest declares no bin for npx to install', () => {
  const bin = join(REPO, 'node_modules/.bin/lockstep');
  assert.ok(existsSync(bin), 'node_modules/.bin/lockstep is missing: run npm ci');
  assert.equal(realpathSync(bin), join(REPO, 'scripts/bin-link/lockstep.js'));
  assert.match(readFileSync(realpathSync(bin), 'utf8'), /import '\.\.\/\.\.\/bin\/lockstep\.js'/);
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  assert.equal(manifest.bin, undefined);
  assert.equal(
    manifest.private,
    true,
    'the development manifest must not be published (npm run pack makes the package)',
  );
});

test('npx lockstep runs the linked command: nothing is installed into the npx cache, nothing is built', async () => {
  const cache = tempDir('npx-cache-');
  const { stdout, stderr } = await exec('npx', ['--loglevel=verbose', 'lockstep', '--version'], {
    cwd: REPO,
    env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' },
  });
  assert.equal(stdout.trim(), VERSION);
  assert.doesNotMatch(stderr, /prepare|reify|not found and will be installed/);
  assert.equal(existsSync(join(cache, '_npx')), false, 'npx installed something into its cache');
});

/** A checkout-shaped directory: bin/lockstep.js, a src/ and a dist/ entry that say which one ran. */
function fakeCheckout(): string {
  const dir = tempDir('bin-');
  mkdirSync(join(dir, 'bin'));
  cpSync(join(REPO, 'bin/lockstep.js'), join(dir, 'bin/lockstep.js'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src/cli'), { recursive: true });
  writeFileSync(join(dir, 'src/cli/main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  writeFileSync(join(dir, 'dist/cli/main.js'), "console.log('dist');\n");
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  return dir;
}
const setTime = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
const ran = async (dir: string) => (await exec(process.execPath, [join(dir, 'bin/lockstep.js')])).stdout.trim();

test('bin/lockstep.js runs dist/ when the build started after the last change under src/, else the sources', async () => {
  const dir = fakeCheckout();
  const now = Math.floor(Date.now() / 1000);
  assert.equal(await ran(dir), 'src', 'never built: the sources');

  writeFileSync(join(dir, 'dist/.build'), 'x\n');
  setTime(join(dir, 'src/cli/main.ts'), now - 100);
  setTime(join(dir, 'dist/.build'), now - 50);
  assert.equal(await ran(dir), 'dist', 'built after the last change');

  mkdirSync(join(dir, 'src/core'));
  writeFileSync(join(dir, 'src/core/new.ts'), '');
  setTime(join(dir, 'src/core/new.ts'), now - 10);
  assert.equal(await ran(dir), 'src', 'a file changed after the build started');
});

test('an installed package (no src/) runs dist/', async () => {
  const dir = fakeCheckout();
  rmSync(join(dir, 'src'), { recursive: true });
  assert.equal(await ran(dir), 'dist');
});

test('opening a session and listing experiments loads no serving, tracking-server or run-lock packages', async () => {
  // every module the process resolves, recorded by a resolve hook
  const dir = tempDir();
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    "export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('resolved ' + r.url + '\\n'); return r; }\n",
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(`file://${hooks}`)});\n`);
  const { stderr } = await exec(
    process.execPath,
    ['--import', 'tsx', '--import', register, join(REPO, 'src/cli/main.ts'), 'ls', '--db', join(dir, 'none.db')],
    { cwd: REPO },
  );
  const loaded = stderr.split('\n').filter((l) => l.startsWith('resolved '));
  assert.ok(
    loaded.some((l) => l.includes('better-sqlite3')),
    'the hook saw the modules',
  );
  for (const heavy of ['protobufjs', '/yaml/', 'onnxruntime', 'fastify', 'esbuild', '@node-rs/xxhash', 'zod'])
    assert.deepEqual(
      loaded.filter((l) => l.includes(`node_modules/${heavy.replace(/^\//, '')}`)),
      [],
      `${heavy} is loaded by \`lockstep ls\`: import it where it is used`,
    );
});
