// Temporary git repositories and data for the lock tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
