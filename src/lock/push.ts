import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { stringify } from 'yaml';
import { LockstepError } from '../errors.ts';
import { HashCache } from './cache.ts';
import { fromLockPath, LOCK_FILE, type RunLock, readLock } from './format.ts';
import { git, repoRoot } from './git.ts';
import { combine, type FileHash, hashFiles, listFiles } from './hash.ts';
import { blobName, type ManifestFile, rclone, remoteJoin } from './rclone.ts';
import { checkTagName, readTag, TAG_PREFIX } from './tag.ts';

/** The files of one data entry of a lock, hashed now and checked against the lock. */
async function dataFiles(lock: RunLock, root: string, cache: HashCache): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for (const d of lock.data) {
    const abs = fromLockPath(root, d.path);
    if (!existsSync(abs)) throw new LockstepError('E_NOT_FOUND', `push: data ${d.path} of run ${lock.id} is gone`);
    let files: FileHash[];
    let hash: string;
    if (d.kind === 'dir') {
      files = await hashFiles(abs, await listFiles(abs), cache);
      hash = combine(files);
      files = files.map((f) => ({ ...f, path: `${d.path}/${f.path}` }));
    } else {
      files = (await hashFiles(dirname(abs), [abs.slice(dirname(abs).length + 1)], cache)).map((f) => ({
        ...f,
        path: d.path,
      }));
      hash = files[0]?.hash ?? '';
    }
    if (hash !== d.hash) {
      throw new LockstepError(
        'E_CONFLICT',
        `push: ${d.path} changed since run ${lock.id} was locked (${d.hash} then, ${hash} now); lock again or restore it`,
      );
    }
    out.push(...files.map((f) => ({ path: f.path, hash: f.hash, size: f.size })));
  }
  return out;
}

/**
 * The outputs of a run: every file under its output directory but run.lock
 * files (the tag carries them) and directories of runs the tag does not pin.
 * What a pulled tag needs to re-run its last stage or verify every stage.
 */
async function outputFiles(
  lock: RunLock,
  root: string,
  inTag: ReadonlySet<string>,
  cache: HashCache,
): Promise<ManifestFile[]> {
  if (isAbsolute(lock.dir)) return []; // outside the repository: not restorable into a checkout
  const dir = fromLockPath(root, lock.dir);
  if (!existsSync(dir))
    throw new LockstepError(
      'E_NOT_FOUND',
      `push: the outputs of run ${lock.id} (${lock.dir}) are gone; a pulled tag could neither re-run nor verify it`,
    );
  // a file inside a nested run directory whose lock the tag does not hold is that run's, not this one's
  const nested = new Map<string, boolean | null>();
  const foreignDir = (sub: string): boolean | null => {
    let v = nested.get(sub);
    if (v === undefined) {
      const lockFile = join(dir, sub, LOCK_FILE);
      v = existsSync(lockFile) ? !inTag.has(readLock(lockFile).lock.id) : null;
      nested.set(sub, v);
    }
    return v;
  };
  const foreign = (rel: string) => {
    const parts = rel.split('/');
    for (let i = parts.length - 1; i > 0; i--) {
      const v = foreignDir(parts.slice(0, i).join('/'));
      if (v !== null) return v;
    }
    return false;
  };
  const rels = (await listFiles(dir)).filter((rel) => !rel.split('/').includes(LOCK_FILE) && !foreign(rel));
  const prefix = lock.dir === '.' ? '' : `${lock.dir}/`;
  return (await hashFiles(dir, rels, cache)).map((f) => ({ path: `${prefix}${f.path}`, hash: f.hash, size: f.size }));
}

export interface PushReport {
  tag: string;
  git: string | null;
  data: string | null;
  files: number;
  bytes: number;
}

/**
 * Pushes a tag: its commit (and so every code commit it pins) to a git
 * remote, and, content-addressed, to an rclone remote (`blobs/<hash>`, plus
 * `tags/NAME.yml` mapping paths to blobs) the locked data and the outputs of
 * every run the tag holds: enough to re-run its last stage or verify all of it.
 */
export async function pushTag(
  name: string,
  options: { repo?: string; git?: string; data?: string; cache?: string | false },
): Promise<PushReport> {
  checkTagName(name);
  if (!options.git && !options.data)
    throw new LockstepError('E_INPUT', 'push: give --git REMOTE, --data RCLONE_REMOTE:PATH or both');
  const repo = await repoRoot(options.repo ?? '.');
  const tag = await readTag(repo, name);
  if (options.git) await git(repo, ['push', '-q', options.git, `+${TAG_PREFIX}${name}:${TAG_PREFIX}${name}`]);
  const files: ManifestFile[] = [];
  if (options.data) {
    const cache = new HashCache(options.cache === false ? ':memory:' : options.cache);
    const stage = mkdtempSync(join(tmpdir(), 'lockstep-push-'));
    try {
      const byLock: Record<string, ManifestFile[]> = {};
      const outputs: Record<string, ManifestFile[]> = {};
      const inTag = new Set(tag.locks.map((l) => l.id));
      const stageBlob = (root: string, f: ManifestFile) => {
        const link = join(stage, 'blobs', blobName(f.hash));
        if (existsSync(link)) return;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(fromLockPath(root, f.path), link);
      };
      for (const lock of tag.locks) {
        const root = existsSync(lock.root) ? lock.root : repo;
        byLock[lock.id] = await dataFiles(lock, root, cache);
        outputs[lock.id] = await outputFiles(lock, root, inTag, cache);
        for (const f of [...(byLock[lock.id] ?? []), ...(outputs[lock.id] ?? [])]) stageBlob(root, f);
        files.push(...(byLock[lock.id] ?? []), ...(outputs[lock.id] ?? []));
      }
      // Blobs are named by content: what the remote has already is never sent again.
      if (existsSync(join(stage, 'blobs'))) {
        await rclone([
          'copy',
          '--copy-links',
          '--ignore-existing',
          join(stage, 'blobs'),
          remoteJoin(options.data, 'blobs'),
        ]);
      }
      const manifest = join(stage, `${name}.yml`);
      writeFileSync(manifest, stringify({ tag: name, commit: tag.commit, locks: byLock, outputs }));
      await rclone(['copyto', manifest, remoteJoin(options.data, 'tags', `${name}.yml`)]);
    } finally {
      cache.close();
      rmSync(stage, { recursive: true, force: true });
    }
  }
  const unique = new Map(files.map((f) => [f.hash, f.size]));
  return {
    tag: name,
    git: options.git ?? null,
    data: options.data ?? null,
    files: unique.size,
    bytes: [...unique.values()].reduce((a, b) => a + b, 0),
  };
}
