// Shared by the scaffold tests: run the lockstep CLI, and make sure the
// checkout that generated projects depend on by path is built.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';

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

let built: Promise<void> | undefined;

/**
 * A checkout whose dist/ is current, for projects that depend on it by path (what `lockstep init` does
 * from a checkout). Under CI `npm ci` built it; elsewhere the sources may be newer than dist/, and are
 * compiled (tsc only: the projects do not use the web UI), as `npm run build` would.
 */
export function builtCheckout(): Promise<void> {
  built ??= (async () => {
    if (process.env.CI === 'true' || compiledIsCurrent()) return;
    ok(await sh(process.execPath, [join(REPO, 'scripts/build-stamp.mjs')], REPO), 'build stamp');
    // tsc emits despite type errors elsewhere in a shared tree; a missing export fails the project's typecheck instead
    await sh(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], REPO);
  })();
  return built;
}

/** bin/lockstep.js's rule: dist/ is current when its build started after the last change under src/. */
function compiledIsCurrent(): boolean {
  const stamp = join(REPO, 'dist/.build');
  if (!existsSync(stamp)) return false;
  const started = statSync(stamp).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  return newest(join(REPO, 'src')) <= started;
}

/** `npm install` from the shared cache first (the registry only for what it lacks), without audit or funding noise. */
export function npmInstall(cwd: string): Promise<Done> {
  return sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], cwd, {
    npm_config_update_notifier: 'false',
  });
}
