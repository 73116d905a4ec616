import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LockstepError } from '../errors.ts';
import { LOCK_FILE, lockToYaml } from './format.ts';
import { git, gitMaybe } from './git.ts';
import { blobName, type ManifestFile, rclone, remoteJoin } from './rclone.ts';
import { checkTagName, readTag, TAG_PREFIX } from './tag.ts';
import { type VerifyReport, verifyLock } from './verify.ts';

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
