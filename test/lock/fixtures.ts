// Temporary git repositories and data for the lock tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';

export function sh(cwd: string, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function gitIn(cwd: string, ...args: string[]): string {
  return sh(cwd, 'git', args);
}

export function write(root: string, rel: string, content: string | Buffer): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** A repository with one commit (code plus an ignored data/ directory), its own user identity. */
export function makeRepo(): string {
  const root = tempDir('lockstep-repo-');
  gitIn(root, 'init', '-q', '-b', 'main');
  gitIn(root, 'config', 'user.name', 'Test');
  gitIn(root, 'config', 'user.email', 'test@example.com');
  write(root, 'src/train.ts', 'export const lr = 0.1;\n');
  write(root, '.gitignore', 'data/\nresults/\n*.db\n');
  write(root, 'data/raw/a.csv', 'x,y\n1,2\n');
  write(root, 'data/raw/b.csv', 'x,y\n3,4\n');
  gitIn(root, 'add', '-A');
  gitIn(root, 'commit', '-q', '-m', 'first');
  return root;
}

const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));

/**
 * A project as a user has it: a git repository (makeRepo's) whose scripts
 * import lockstep (`import { cli } from 'lockstep'` becomes this checkout's
 * sources) and zod from a node_modules link, committed.
 */
export function makeProject(files: Record<string, string>): string {
  const root = makeRepo();
  symlinkSync(MODULES, join(root, 'node_modules'));
  write(root, '.gitignore', 'data/\nresults/\n*.db\nnode_modules\ncalls.log\n.lockstep/\n');
  write(root, 'package.json', '{ "name": "project", "private": true, "type": "module" }\n');
  for (const [rel, text] of Object.entries(files))
    write(root, rel, text.replaceAll("from 'lockstep'", `from '${SRC}'`));
  gitIn(root, 'add', '-A');
  gitIn(root, 'commit', '-q', '-m', 'project');
  return root;
}

// The sources through tsx, not bin/ (which prefers a built dist/ that may be older than the sources).
const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

/** `lockstep ARGS…` in a directory, with its own hash cache and database (`l.db`, git-ignored). */
export function lockstepIn(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [...CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, LOCKSTEP_HASH_CACHE: join(cwd, 'data', 'hashes.db'), LOCKSTEP_DB: join(cwd, 'l.db') },
  });
}
