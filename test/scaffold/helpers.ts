// Shared by the scaffold tests: run the lockstep CLI, and make a local lockstep
// package that generated projects install with a `file:` dependency.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { tempDir } from '../helpers.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const exec = promisify(execFile);

export interface Done {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and returns its exit code and output (never throws for a non-zero exit). */
export async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Done> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: '1' };
  // Inside `node --test` this variable makes a nested `node --test` (the
  // generated project's own tests) report to our runner instead of printing.
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.FORCE_COLOR;
  try {
    const r = await exec(cmd, args, { cwd, env: childEnv, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: plain(r.stdout), stderr: plain(r.stderr) };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: plain(err.stdout ?? ''),
      stderr: plain(err.stderr ?? err.message),
    };
  }
}

/** Output without terminal colours, whatever the tool decided. */
const plain = (s: string) => stripVTControlCharacters(s);

/**
 * `lockstep …` with no terminal attached (stdin is not a TTY under execFile).
 * Under CI through bin/lockstep.js and the fresh dist/ that `npm ci` built, as
 * a user runs it; elsewhere from the sources, because bin/ prefers a dist/
 * that may be older than the sources in a working tree.
 */
export function lockstep(args: string[], cwd: string = REPO): Promise<Done> {
  const entry =
    process.env.CI === 'true'
      ? [join(REPO, 'bin/lockstep.js')]
      : ['--import', import.meta.resolve('tsx'), join(REPO, 'src/cli/main.ts')];
  return sh(process.execPath, [...entry, ...args], cwd);
}

/** Fails the test with the command's output when it did not exit 0. */
export function ok(done: Done, what: string): Done {
  if (done.code !== 0)
    throw new Error(`${what} exited ${done.code}\n--- stdout\n${done.stdout}\n--- stderr\n${done.stderr}`);
  return done;
}

let pkg: Promise<string> | undefined;

/**
 * A lockstep package built from this checkout, for `file:` dependencies.
 * npm links a `file:` directory instead of copying it, and resolves the
 * package's own dependencies from its node_modules: pointing that at the
 * checkout's node_modules means no install rebuilds better-sqlite3. Its
 * package.json has no scripts, because npm runs a linked package's `prepare`.
 * Under CI the checkout's fresh `dist` (built by `npm ci`) is reused;
 * elsewhere the sources are compiled, so the test never sees a stale build.
 */
export function localLockstep(): Promise<string> {
  pkg ??= (async () => {
    const dir = join(tempDir('lockstep-pkg-'), 'lockstep');
    mkdirSync(dir);
    const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.scripts;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    symlinkSync(join(REPO, 'bin'), join(dir, 'bin'));
    if (process.env.CI === 'true' && existsSync(join(REPO, 'dist/index.js'))) {
      symlinkSync(join(REPO, 'dist'), join(dir, 'dist'));
    } else {
      // tsc emits despite type errors elsewhere in a shared tree; a missing export fails the project's typecheck instead
      const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
      await sh(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], REPO);
      if (!existsSync(join(dir, 'dist/index.js'))) throw new Error('building lockstep into a temporary package failed');
    }
    return dir;
  })();
  return pkg;
}

/** `npm install` from the shared cache first (the registry only for what it lacks), without audit or funding noise. */
export function npmInstall(cwd: string): Promise<Done> {
  return sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], cwd, {
    npm_config_update_notifier: 'false',
  });
}
