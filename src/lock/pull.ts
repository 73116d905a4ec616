import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LockstepError } from '../errors.ts';
import { checkDigest, insideRoot } from '../untrusted.ts';
import { LOCK_FILE, lockToYaml } from './format.ts';
import { git, gitMaybe } from './git.ts';
import { hashFile } from './hash.ts';
import { blobName, type ManifestFile, rclone, remoteJoin } from './rclone.ts';
import { checkTagName, readTag, TAG_PREFIX } from './tag.ts';
import { type Drift, type VerifyReport, verifyLock } from './verify.ts';

export interface PullReport {
  tag: string;
  into: string;
  commit: string;
  files: number;
  /** Each lock verified against the restored checkout. */
  verified: VerifyReport[];
  /** Restored files (data and outputs) whose content is not the manifest's, or that the remote lacked. */
  restored: Drift[];
  /** Code and data of every lock match (environment differences are in the reports). */
  ok: boolean;
}

function lockDir(into: string, dir: unknown, tag: string): string {
  return dir === '.' ? into : insideRoot(into, dir, `tag ${tag}: lock directory`);
}

/**
 * The files of a pulled manifest (the locks' data, then the runs' outputs),
 * every one checked before anything is fetched: a lock hash of the right
 * shape, and a path inside `into` (`dest`; null for data that lived outside
 * the repository, which is not restored).
 */
function manifestFiles(text: string, tag: string, into: string): (ManifestFile & { dest: string | null })[] {
  const what = `manifest of tag ${tag}`;
  let doc: { locks?: unknown; outputs?: unknown } | null;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 }) as { locks?: unknown; outputs?: unknown } | null;
  } catch (e) {
    throw new LockstepError('E_INPUT', `${what} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  const section = (key: 'locks' | 'outputs') => {
    const byLock = doc?.[key] ?? {};
    if (typeof byLock !== 'object' || byLock === null || Array.isArray(byLock))
      throw new LockstepError('E_INPUT', `${what}: "${key}" must map lock ids to file lists`);
    return Object.entries(byLock).flatMap(([id, list]) => {
      if (!Array.isArray(list)) throw new LockstepError('E_INPUT', `${what}: ${key}.${id} must be a list of files`);
      return list.map((f: Partial<ManifestFile> | null, i) => {
        const at = `${what}: ${key}.${id}.${i}`;
        if (typeof f !== 'object' || f === null)
          throw new LockstepError('E_INPUT', `${at} must be { path, hash, size }`);
        const hash = checkDigest(f.hash, 'xxh3', `${at}.hash`);
        if (typeof f.path !== 'string') throw new LockstepError('E_INPUT', `${at}.path must be a string`);
        const dest = isAbsolute(f.path) ? null : insideRoot(into, f.path, `${at}.path`);
        return { path: f.path, hash, size: Number(f.size) || 0, dest };
      });
    });
  };
  return [...section('locks'), ...section('outputs')];
}

/**
 * Restores a tag into a directory: clones (or fetches into) it from the git
 * remote, checks out the code of the first run named by the tag, copies the
 * data and the runs' outputs from the rclone remote to their paths, checks
 * each file against its hash and verifies every lock: `ok` is false when
 * anything drifted in code or data.
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
  // the tag came from a remote: every directory it names must stay inside `into`
  // and so must the data each lock names, which verify reads below
  for (const lock of tag.locks)
    for (const d of Array.isArray(lock.data) ? lock.data : [])
      if (d?.path !== '.' && (typeof d?.path !== 'string' || !isAbsolute(d.path)))
        insideRoot(into, d?.path, `tag ${name}: lock ${lock.id} data path`);
  const dirs = tag.locks.map((lock) =>
    typeof lock.dir === 'string' && isAbsolute(lock.dir) ? null : lockDir(into, lock.dir, name),
  );
  tag.locks.forEach((lock, i) => {
    const dir = dirs[i];
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LOCK_FILE), lockToYaml(lock));
  });
  let count = 0;
  /** Restored files that are not what the manifest says (a corrupted or missing blob). */
  const restored: Drift[] = [];
  if (options.data) {
    const stage = mkdtempSync(join(tmpdir(), 'lockstep-pull-'));
    try {
      await rclone(['copyto', remoteJoin(options.data, 'tags', `${name}.yml`), join(stage, 'manifest.yml')]);
      const files = manifestFiles(readFileSync(join(stage, 'manifest.yml'), 'utf8'), name, into);
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
      const done = new Set<string>();
      for (const f of files) {
        // a stage's output is often the next stage's data: restored once
        if (!f.dest || done.has(f.dest)) continue;
        done.add(f.dest);
        const blob = join(stage, 'blobs', blobName(f.hash));
        if (!existsSync(blob)) {
          restored.push({ section: 'data', item: f.path, expected: f.hash, actual: 'missing on the data remote' });
          continue;
        }
        mkdirSync(dirname(f.dest), { recursive: true });
        copyFileSync(blob, f.dest);
        count++;
        // a blob is named by its content: what arrived must hash to that name
        const got = await hashFile(f.dest);
        if (got !== f.hash) restored.push({ section: 'data', item: f.path, expected: f.hash, actual: got });
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  const verified: VerifyReport[] = [];
  for (const dir of dirs) {
    if (dir) verified.push(await verifyLock(join(dir, LOCK_FILE), { root: into, cache: false }));
  }
  const checkedOut = (await gitMaybe(into, ['rev-parse', 'HEAD'])) ?? '';
  // Locks of other commits than the one checked out differ in code by design: only their data must match.
  const ok =
    restored.length === 0 &&
    verified.every((v) =>
      v.drift.every(
        (d) =>
          d.section === 'env' ||
          (d.section === 'code' && (v.lock.repos[0]?.captured ?? v.lock.repos[0]?.commit) !== checkedOut),
      ),
    );
  return { tag: name, into, commit: checkedOut, files: count, verified, restored, ok };
}
