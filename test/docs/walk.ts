// Runs the commands of the docs as a user would: in a scratch copy of the
// checkout (its files as git sees them, its installed node_modules and built
// dist linked in), one bash script per block. See docs/README.md, "Commands
// in these pages".
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { type Block, shellBlocksOf } from './blocks.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The README first, then every page of docs/ by name. */
export function pages(): { path: string; name: string }[] {
  const docs = readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((name) => ({ path: join(REPO, name), name }));
}

export function blocksOf(marker: Block['marker']): Block[] {
  return pages().flatMap((p) => shellBlocksOf(p.path, p.name).filter((b) => b.marker === marker));
}

/**
 * A copy of the working tree as a fresh clone has it (tracked and new files, not ignored ones), committed
 * in a git repository of its own, with the checkout's node_modules and dist: what `npm ci` leaves.
 */
export function scratchCheckout(): string {
  const dir = join(tempDir('docs-walk-'), 'lockstep');
  mkdirSync(dir);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      copyFileSync(join(REPO, f), join(dir, f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the working tree
    }
  }
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(REPO, 'dist'), join(dir, 'dist'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: gitEnv(), stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'a clean clone');
  return dir;
}

const gitEnv = () => ({
  ...process.env,
  GIT_AUTHOR_NAME: 'docs walk',
  GIT_AUTHOR_EMAIL: 'walk@example.invalid',
  GIT_COMMITTER_NAME: 'docs walk',
  GIT_COMMITTER_EMAIL: 'walk@example.invalid',
});

/**
 * The environment of a user's shell in the scratch checkout, with lockstep's per-user files kept inside
 * it, and curl failing on an HTTP error (a `.curlrc` saying `fail`), so that a page's `curl -s` is checked.
 */
export function shellEnv(dir: string): NodeJS.ProcessEnv {
  const home = join(dir, '.walk');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.curlrc'), 'fail\nshow-error\n');
  const env: NodeJS.ProcessEnv = {
    ...gitEnv(),
    CURL_HOME: home,
    NO_COLOR: '1',
    LOCKSTEP_OUTBOX: join(home, 'outbox.db'),
    LOCKSTEP_HASH_CACHE: join(home, 'hashes.db'),
    npm_config_update_notifier: 'false',
  };
  for (const name of ['LOCKSTEP_DB', 'LOCKSTEP_BLOBS', 'LOCKSTEP_CACHE', 'NODE_TEST_CONTEXT', 'FORCE_COLOR'])
    delete env[name];
  return env;
}

/**
 * The commands of a block as the walk runs them. Two commands are never executed: `npm ci` (done
 * before the tests, which run in what it installed) and `npm test` (the suite this walk is part of;
 * `.ci/run` must run it, which the walk checks).
 */
export function script(block: Block): { text: string; skipped: string[] } {
  const skipped: string[] = [];
  const lines = block.commands.map(({ text }) => {
    let t = text;
    const ci = /^npm ci\b[^&|;]*&&\s*/.exec(t);
    if (ci) {
      skipped.push('npm ci');
      t = t.slice(ci[0].length);
    }
    if (/^npm (ci|test)\b/.test(t.trim())) {
      skipped.push(t.replace(/\s+#.*$/, '').trim());
      return `# (not run by the walk) ${t}`;
    }
    return t;
  });
  return { text: lines.join('\n'), skipped };
}

export interface Done {
  code: number;
  output: string;
}

/** Runs a block as one bash script (`set -e`, `pipefail`) in `dir`. */
export function runScript(text: string, dir: string, timeoutMs = 180_000): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', text], { cwd: dir, env: shellEnv(dir) });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** Where a block is, for messages. */
export const where = (b: Block) => `${b.file}:${b.line}`;

/**
 * A `server` block: its first command is started (in its own process group) and left serving until it
 * prints its address; the others run against it as one script; then the server is stopped with SIGTERM
 * and must exit.
 */
export async function runServerBlock(block: Block, dir: string): Promise<Done> {
  const [first, ...rest] = block.commands;
  if (!first) return { code: 0, output: '' };
  const server = spawn('bash', ['-c', `exec ${first.text}`], { cwd: dir, env: shellEnv(dir), detached: true });
  let log = '';
  const exited = new Promise<number>((r) => server.on('exit', (code, signal) => r(code ?? (signal ? 0 : 1))));
  try {
    await listening(server, (c) => (log += c));
    const done = await runScript(rest.map((c) => c.text).join('\n'), dir, 60_000);
    return { code: done.code, output: `--- server\n${log}\n--- commands\n${done.output}` };
  } catch (e) {
    return { code: 1, output: `${(e as Error).message}\n--- server\n${log}` };
  } finally {
    if (server.exitCode === null) process.kill(-(server.pid as number), 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (server.exitCode === null) process.kill(-(server.pid as number), 'SIGKILL');
  }
}

function listening(server: ChildProcess, log: (chunk: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the server printed no address within 60 s')), 60_000);
    const onData = (c: Buffer) => {
      log(String(c));
      seen += String(c);
      if (/https?:\/\/[\w.-]+:\d+/.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it printed its address`));
    });
  });
}
