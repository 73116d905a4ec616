import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isInside } from '../untrusted.ts';
import { HashCache } from './cache.ts';
import { flatten } from './diff.ts';
import { fromLockPath, lockFileOf, type RunLock, readLock } from './format.ts';
import { currentTree, git, gitMaybe } from './git.ts';
import { hashPath } from './hash.ts';
import { toPlain } from './plain.ts';

/** What a run about to be resumed expects of its lock. */
export interface Expected {
  /** The lock id the stored run recorded (`lock_id`): a lock written since by another run does not count. */
  id?: string;
  /** The config the run would use now. */
  config: object;
  /** Data paths the run tracks now (`${track:…}`): each must be in the lock. */
  data?: readonly string[];
  /** Previous stages the run consumes now (`${stage:…}`): each one's current lock must be in the lock's lineage. */
  prevs?: readonly string[];
}

/**
 * Decides whether a finished run is still done: its lock matches the config,
 * the content of its tracked data, the code and the previous stages it would
 * use now. One checker serves a whole sweep: the working tree is captured
 * once per repository and each data path hashed once (through the hash cache).
 */
export class Freshness {
  private readonly cache: HashCache | undefined;
  private readonly hashes = new Map<string, string | null>();
  private readonly trees = new Map<string, Promise<{ tree: string; tracked: Set<string> }>>();
  private readonly exclude: string[];

  /** `exclude`: paths that are not code (every task's output directory, the data, the database). */
  constructor(options: { exclude: readonly string[]; cache?: string | false }) {
    this.exclude = options.exclude.map((p) => resolve(p));
    this.cache = options.cache === false ? undefined : new HashCache(options.cache);
  }

  close(): void {
    this.cache?.close();
  }

  /** Why the run of this lock is not done any more; empty when it is. */
  async reasons(lockPath: string, expected: Expected): Promise<string[]> {
    const file = lockFileOf(lockPath);
    if (!existsSync(file)) return [`no run.lock at ${file}`];
    let lock: RunLock;
    try {
      lock = readLock(file).lock;
    } catch (e) {
      return [(e as Error).message];
    }
    if (expected.id && lock.id !== expected.id) return [`${file} now holds another run's lock (${lock.id})`];
    const out: string[] = [];
    out.push(...configReasons(lock, expected.config));
    out.push(...(await this.dataReasons(lock, expected.data ?? [])));
    out.push(...(await this.codeReasons(lock)));
    out.push(...prevReasons(lock, expected.prevs ?? []));
    return out;
  }

  private async hash(path: string): Promise<string | null> {
    if (!this.hashes.has(path)) {
      this.hashes.set(path, existsSync(path) ? (await hashPath(path, this.cache)).hash : null);
    }
    return this.hashes.get(path) ?? null;
  }

  private async dataReasons(lock: RunLock, data: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    const locked = new Set(lock.data.map((d) => resolve(fromLockPath(lock.root, d.path))));
    for (const p of data) if (!locked.has(resolve(p))) out.push(`data ${p} is tracked now but not in the lock`);
    for (const d of lock.data) {
      const now = await this.hash(resolve(fromLockPath(lock.root, d.path)));
      if (now === null) out.push(`data ${d.path} is missing`);
      else if (now !== d.hash) out.push(`data ${d.path} changed (${d.hash} when locked, ${now} now)`);
    }
    return out;
  }

  private tree(root: string): Promise<{ tree: string; tracked: Set<string> }> {
    let p = this.trees.get(root);
    if (!p) {
      p = (async () => ({
        tree: await currentTree(root, this.exclude),
        tracked: new Set((await git(root, ['ls-files'])).split('\n')),
      }))();
      this.trees.set(root, p);
    }
    return p;
  }

  private async codeReasons(lock: RunLock): Promise<string[]> {
    const out: string[] = [];
    for (const repo of lock.repos) {
      const dir = fromLockPath(lock.root, repo.path);
      const top = existsSync(dir) ? await gitMaybe(dir, ['rev-parse', '--show-toplevel']) : undefined;
      if (!top) {
        out.push(`code: no git repository at ${dir}`);
        continue;
      }
      const now = await this.tree(top);
      if (now.tree === repo.tree) continue;
      if ((await gitMaybe(top, ['cat-file', '-e', `${repo.tree}^{tree}`])) === undefined) {
        out.push(`code: the locked tree ${repo.tree} is not in ${top}`);
        continue;
      }
      // outputs, data and files git does not track that appeared since are not code
      const skip = [
        ...this.exclude,
        resolve(fromLockPath(lock.root, lock.dir)),
        ...lock.data.map((d) => resolve(fromLockPath(lock.root, d.path))),
      ];
      const changed = (await git(top, ['diff-tree', '-r', '--no-renames', '--name-status', repo.tree, now.tree]))
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, 1), l.slice(2)] as const)
        .filter(([st, p]) => !(st === 'A' && !now.tracked.has(p)))
        .filter(([, p]) => !skip.some((s) => s === resolve(top, p) || isInside(s, resolve(top, p))));
      if (changed.length) {
        const shown = changed.slice(0, 5).map(([st, p]) => `${st} ${p}`);
        out.push(`code changed: ${shown.join(', ')}${changed.length > 5 ? `, … ${changed.length - 5} more` : ''}`);
      }
    }
    return out;
  }
}

function configReasons(lock: RunLock, config: object): string[] {
  const a = flatten(lock.config);
  const b = flatten(toPlain(config));
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
  return keys.length ? [`config differs: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}`] : [];
}

/** The previous stages the lock consumed must still hold the very locks it read, and cover the stages consumed now. */
function prevReasons(lock: RunLock, prevs: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const link of lock.prevs) {
    const file = fromLockPath(lock.root, link.path);
    const shown = link.path.replace(/\/run\.lock$/, '');
    if (!existsSync(file)) {
      out.push(`previous stage ${shown} is gone`);
      continue;
    }
    const now = readLock(file);
    seen.add(now.lock.id);
    if (now.lock.id !== link.id) out.push(`previous stage ${shown} ran again (lock ${now.lock.id.slice(0, 8)})`);
    else if (now.hash !== link.hash) out.push(`previous stage ${shown} has a different run.lock`);
  }
  for (const p of prevs) {
    const file = lockFileOf(p);
    if (!existsSync(file)) continue;
    const id = readLock(file).lock.id;
    if (!seen.has(id)) out.push(`previous stage ${p} is not one the lock consumed`);
  }
  return out;
}
