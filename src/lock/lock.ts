import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LockstepError } from '../errors.ts';
import { createSession, type Session } from '../session.ts';
import { defaultUrl } from '../store/open.ts';
import { HashCache } from './cache.ts';
import { captureEnv } from './env.ts';
import { type DataEntry, LOCK_VERSION, lockFileOf, lockToYaml, type RunLock, toLockPath } from './format.ts';
import { captureRepo, gitMaybe } from './git.ts';
import { hashPath } from './hash.ts';
import { findPrevs, linkTo } from './lineage.ts';
import { toPlain } from './plain.ts';
import { saveLock } from './records.ts';

/** What {@link lock} records. */
export interface LockOptions {
  /** The output directory of the run (run.lock goes inside) or the lock file's own path. */
  path: string;
  /** The resolved config: any plain object (Dates become ISO strings, bigints strings). */
  config?: object;
  /** Code repositories (any path inside each). Default: the repository of the working directory, if any. */
  repos?: readonly string[];
  /** Files and directories whose content hashes go into the lock. */
  data?: readonly string[];
  /** run.locks (or their directories) of previous stages this run consumed. */
  prevs?: readonly string[];
  /** A human name for the run. */
  name?: string;
  /** The lock of the sweep (or other run) this one belongs to. */
  parent?: string;
  /**
   * The tracked run whose outputs these are. Locking a directory whose
   * previous lock belongs to another run marks that run superseded (run tags
   * `lockstep.lock` and `lockstep.superseded_by`): one current run per output directory.
   */
  run?: { experiment: string; id: string };
  /** Where to store the record: a session, a database URL, or `false` for the file only. Default: `LOCKSTEP_DB`, else ./lockstep.db. */
  store?: Session | string | false;
  /** The hash cache: a path to its SQLite file or `false` to hash everything. Default: ~/.cache/lockstep/hashes.db. */
  cache?: string | false;
}

/**
 * Writes `run.lock` (YAML) next to a run's outputs and the same record into
 * the store: the resolved config, each repository's commit and tree (a dirty
 * tree is captured on `refs/lockstep/runs/<id>` without touching the branch,
 * index or files), the data's content hashes, the environment and the locks of
 * the previous stages. A second lock of the same directory supersedes the first.
 *
 * @example
 * ```ts
 * import { lock } from 'lockstep';
 * await lock({
 *   config: cfg,
 *   repos: ['.'],
 *   data: ['data/raw/iris.csv'],
 *   prevs: ['results/preprocess'],
 *   path: 'results/train',
 * });
 * ```
 */
export async function lock(options: LockOptions): Promise<{ lock: RunLock; file: string }> {
  if (!options || typeof options.path !== 'string' || options.path === '') {
    throw new LockstepError('E_INPUT', 'lock: `path` (the run output directory or lock file) is required');
  }
  const file = lockFileOf(options.path);
  const runDir = dirname(file);
  const id = randomUUID();
  const data = (options.data ?? []).map((p) => resolve(p));
  const exclude = [runDir, ...data, ...sqliteFiles(options.store)];
  const repoPaths = options.repos ?? ((await gitMaybe(process.cwd(), ['rev-parse', '--show-toplevel'])) ? ['.'] : []);
  const repos = [];
  for (const r of repoPaths) repos.push(await captureRepo(r, id, exclude));
  const root = repos[0]?.path ?? process.cwd();

  const cache = options.cache === false ? undefined : new HashCache(options.cache);
  const entries: DataEntry[] = [];
  try {
    for (const p of data) {
      const h = await hashPath(p, cache);
      entries.push({ path: toLockPath(root, p), kind: h.kind, hash: h.hash, size: h.size, files: h.files });
    }
  } finally {
    cache?.close();
  }

  const record: RunLock = {
    version: LOCK_VERSION,
    id,
    name: options.name ?? null,
    created: new Date().toISOString(),
    root,
    dir: toLockPath(root, runDir),
    parent: options.parent ? linkTo(root, lockFileOf(options.parent)) : null,
    config: (toPlain(options.config ?? {}) ?? {}) as Record<string, unknown>,
    repos: repos.map((r) => ({ ...r, path: toLockPath(root, r.path) })),
    data: entries,
    env: captureEnv(root),
    prevs: findPrevs(root, file, options.prevs ?? [], data),
    ...(options.run ? { run: { experiment: options.run.experiment, id: options.run.id } } : {}),
  };
  mkdirSync(runDir, { recursive: true });
  // Written whole then renamed, so a reader never sees half a lock.
  const tmp = `${file}.${id}.tmp`;
  writeFileSync(tmp, lockToYaml(record));
  renameSync(tmp, file);
  if (options.store !== false) await withStore(options.store, (s) => saveLock(s.store.driver, record, runDir, file));
  return { lock: record, file };
}

/** Runs `fn` on the given session, or on one opened (and closed) for it. */
export async function withStore<T>(store: Session | string | undefined, fn: (s: Session) => Promise<T>): Promise<T> {
  if (store && typeof store === 'object') return fn(store);
  const session = await createSession(store ?? defaultUrl());
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * A SQLite database and the artifact store beside it (`.lockstep/`: blobs
 * and the dataset cache) inside the repository are not code: a capture
 * leaves them out, and they do not make a tree dirty.
 */
export function sqliteFiles(store: Session | string | false | undefined): string[] {
  if (store === false) return [];
  const loc =
    typeof store === 'object'
      ? store.dialect === 'sqlite'
        ? store.store.driver.location
        : ''
      : (store ?? defaultUrl());
  const path = loc.replace(/^sqlite:/, '');
  const blobs =
    process.env.LOCKSTEP_BLOBS && !/^[^/]*:/.test(process.env.LOCKSTEP_BLOBS) ? [process.env.LOCKSTEP_BLOBS] : [];
  if (!path || path === ':memory:' || /^[a-z]+:\/\//.test(path)) return [resolve('.lockstep'), ...blobs];
  return [path, `${path}-wal`, `${path}-shm`, join(dirname(resolve(path)), '.lockstep'), ...blobs];
}
