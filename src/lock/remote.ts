import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { LockstepError } from '../errors.ts';
import { HashCache } from './cache.ts';
import { fromLockPath, LOCK_FILE, lockToYaml, type RunLock } from './format.ts';
import { git, gitMaybe, repoRoot } from './git.ts';
import { combine, type FileHash, hashFiles, listFiles } from './hash.ts';
import { rclone, remoteJoin } from './rclone.ts';
import { checkTagName, readTag, TAG_PREFIX } from './tag.ts';
import { type VerifyReport, verifyLock } from './verify.ts';

/** One file of a tag's data, content-addressed: `blobs/<hash>` on the remote. */
interface ManifestFile {
  path: string;
  hash: string;
  size: number;
}

function blobName(hash: string): string {
  const hex = hash.replace(/^xxh3:/, '');
  return `${hex.slice(0, 2)}/${hex}`;
}

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

export interface PushReport {
  tag: string;
  git: string | null;
  data: string | null;
  files: number;
  bytes: number;
}

/**
 * Pushes a tag: its commit (and so every code commit it pins) to a git
 * remote, and the locked data, content-addressed, to an rclone remote
 * (`blobs/<hash>`, plus `tags/NAME.yml` mapping paths to blobs).
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
      for (const lock of tag.locks) {
        const root = existsSync(lock.root) ? lock.root : repo;
        byLock[lock.id] = await dataFiles(lock, root, cache);
        for (const f of byLock[lock.id] ?? []) {
          const link = join(stage, 'blobs', blobName(f.hash));
          if (existsSync(link)) continue;
          mkdirSync(dirname(link), { recursive: true });
          symlinkSync(fromLockPath(root, f.path), link);
        }
        files.push(...(byLock[lock.id] ?? []));
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
      writeFileSync(manifest, stringify({ tag: name, commit: tag.commit, locks: byLock }));
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

export interface PullReport {
  tag: string;
  into: string;
  commit: string;
  files: number;
  /** Each lock verified against the restored checkout. */
  verified: VerifyReport[];
  /** Code and data of every lock match (environment differences are in the reports). */
  ok: boolean;
}

/**
 * Restores a tag into a directory: clones (or fetches into) it from the git
 * remote, checks out the code of the first run named by the tag, copies the
 * data from the rclone remote to its locked paths and verifies every hash.
 */
export async function pullTag(
  name: string,
  options: { git: string; data?: string; into: string },
): Promise<PullReport> {
  checkTagName(name);
  const into = resolve(options.into);
  if (!existsSync(join(into, '.git'))) {
    mkdirSync(into, { recursive: true });
    await git(into, ['init', '-q']);
  }
  await git(into, ['fetch', '-q', options.git, `+${TAG_PREFIX}${name}:${TAG_PREFIX}${name}`]);
  const tag = await readTag(into, name);
  const main = tag.locks[0];
  const sha = main?.repos[0]?.captured ?? main?.repos[0]?.commit ?? tag.code[0];
  if (!sha) throw new LockstepError('E_NOT_FOUND', `tag "${name}" pins no code commit`);
  await git(into, ['checkout', '-q', '--detach', sha]);
  for (const lock of tag.locks) {
    if (lock.dir.startsWith('/')) continue;
    const file = join(into, lock.dir, LOCK_FILE);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, lockToYaml(lock));
  }
  let count = 0;
  if (options.data) {
    const stage = mkdtempSync(join(tmpdir(), 'lockstep-pull-'));
    try {
      await rclone(['copyto', remoteJoin(options.data, 'tags', `${name}.yml`), join(stage, 'manifest.yml')]);
      const manifest = parseYaml(readFileSync(join(stage, 'manifest.yml'), 'utf8')) as {
        locks: Record<string, ManifestFile[]>;
      };
      const files = Object.values(manifest.locks ?? {}).flat();
      const list = [...new Set(files.map((f) => blobName(f.hash)))];
      writeFileSync(join(stage, 'files.txt'), `${list.join('\n')}\n`);
      if (list.length) {
        await rclone([
          'copy',
          '--files-from',
          join(stage, 'files.txt'),
          remoteJoin(options.data, 'blobs'),
          join(stage, 'blobs'),
        ]);
      }
      for (const f of files) {
        if (f.path.startsWith('/')) continue;
        const dest = join(into, ...f.path.split('/'));
        mkdirSync(dirname(dest), { recursive: true });
        copyFileSync(join(stage, 'blobs', blobName(f.hash)), dest);
        count++;
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  const verified: VerifyReport[] = [];
  for (const lock of tag.locks) {
    if (lock.dir.startsWith('/')) continue;
    verified.push(await verifyLock(join(into, lock.dir, LOCK_FILE), { root: into, cache: false }));
  }
  const checkedOut = (await gitMaybe(into, ['rev-parse', 'HEAD'])) ?? '';
  // Locks of other commits than the one checked out differ in code by design: only their data must match.
  const ok = verified.every((v) =>
    v.drift.every(
      (d) =>
        d.section === 'env' ||
        (d.section === 'code' && (v.lock.repos[0]?.captured ?? v.lock.repos[0]?.commit) !== checkedOut),
    ),
  );
  return { tag: name, into, commit: checkedOut, files: count, verified, ok };
}
