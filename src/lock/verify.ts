import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { HashCache } from './cache.ts';
import { captureEnv } from './env.ts';
import { fromLockPath, type RunLock, readLock } from './format.ts';
import { currentTree, git, gitMaybe } from './git.ts';
import { hashPath } from './hash.ts';

/** One thing that no longer matches its lock. */
export interface Drift {
  section: 'code' | 'data' | 'env';
  /** What drifted: a repository or data path, or an environment key. */
  item: string;
  expected: string;
  actual: string;
}

export interface VerifyReport {
  file: string;
  lock: RunLock;
  ok: boolean;
  drift: Drift[];
  /** Differences that do not count as drift (OS release, CPU model). */
  notes: Drift[];
}

/**
 * Checks that the code, data and environment still match a run.lock. `root`
 * relocates the lock's relative paths (a checkout pulled elsewhere); by
 * default they start from the recorded root, or from the lock's own
 * directory's position when that root is gone.
 */
export async function verifyLock(
  path: string,
  options: { root?: string; cache?: string | false } = {},
): Promise<VerifyReport> {
  const { lock, file } = readLock(path);
  const root = options.root ?? (existsSync(lock.root) ? lock.root : rootFromFile(file, lock.dir));
  const drift: Drift[] = [];
  const notes: Drift[] = [];
  const runDir = dirname(file);
  const dataPaths = lock.data.map((d) => fromLockPath(root, d.path));
  for (const repo of lock.repos) {
    const dir = fromLockPath(root, repo.path);
    const top = existsSync(dir) ? await gitMaybe(dir, ['rev-parse', '--show-toplevel']) : undefined;
    if (!top) {
      drift.push({ section: 'code', item: repo.path, expected: repo.tree, actual: 'no git repository here' });
      continue;
    }
    const tree = await currentTree(top, [runDir, ...dataPaths]);
    if (tree === repo.tree) continue;
    const known = await gitMaybe(top, ['cat-file', '-e', `${repo.tree}^{tree}`]);
    if (known === undefined) {
      drift.push({
        section: 'code',
        item: repo.path,
        expected: repo.tree,
        actual: `tree ${tree} (locked tree unknown here)`,
      });
      continue;
    }
    // Files added since the lock that git does not track (outputs, scratch) are notes; edits, deletions and new tracked files are drift.
    const changes = (await git(top, ['diff-tree', '-r', '--no-renames', '--name-status', repo.tree, tree]))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, 1), l.slice(2)] as const);
    const tracked = new Set((await git(top, ['ls-files'])).split('\n'));
    const real = changes.filter(([st, p]) => st !== 'A' || tracked.has(p));
    const extra = changes.filter(([st, p]) => st === 'A' && !tracked.has(p));
    if (extra.length) {
      notes.push({
        section: 'code',
        item: repo.path,
        expected: 'no untracked files',
        actual: `untracked: ${list(extra)}`,
      });
    }
    if (real.length) {
      drift.push({
        section: 'code',
        item: repo.path,
        expected: `tree ${repo.tree} (commit ${repo.captured ?? repo.commit})`,
        actual: `${real.length} file(s) differ: ${list(real)}`,
      });
    }
  }
  const cache = options.cache === false ? undefined : new HashCache(options.cache);
  try {
    for (const d of lock.data) {
      const abs = fromLockPath(root, d.path);
      if (!existsSync(abs)) {
        drift.push({ section: 'data', item: d.path, expected: d.hash, actual: 'missing' });
        continue;
      }
      const h = await hashPath(abs, cache);
      if (h.hash !== d.hash) {
        drift.push({ section: 'data', item: d.path, expected: d.hash, actual: h.hash });
      }
    }
  } finally {
    cache?.close();
  }
  const env = captureEnv(root);
  const check = (item: string, expected: unknown, actual: unknown, list: Drift[]) => {
    if (String(expected ?? 'none') !== String(actual ?? 'none'))
      list.push({ section: 'env', item, expected: String(expected ?? 'none'), actual: String(actual ?? 'none') });
  };
  check('node', lock.env.node, env.node, drift);
  check('arch', lock.env.arch, env.arch, drift);
  check('lockfile', lock.env.lockfile?.hash, env.lockfile?.hash, drift);
  const names = new Set([...Object.keys(lock.env.packages ?? {}), ...Object.keys(env.packages)]);
  for (const n of [...names].sort()) check(`packages.${n}`, lock.env.packages?.[n], env.packages[n], drift);
  check('os', lock.env.os, env.os, notes);
  check('cpu', lock.env.cpu, env.cpu, notes);
  return { file, lock, ok: drift.length === 0, drift, notes };
}

/** The root implied by where the lock file now is and where it was relative to its root. */
function rootFromFile(file: string, dir: string): string {
  let root = dirname(file);
  if (dir === '.' || dir.startsWith('/')) return root;
  for (let i = 0; i < dir.split('/').length; i++) root = dirname(root);
  return root;
}

function list(changes: readonly (readonly [string, string])[]): string {
  const shown = changes.slice(0, 8).map(([st, p]) => `${st} ${p}`);
  return shown.join(', ') + (changes.length > 8 ? `, … ${changes.length - 8} more` : '');
}
