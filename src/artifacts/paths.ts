import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LockstepError } from '../errors.ts';
import { isInside } from '../untrusted.ts';

/** One file of a tree: its path inside the tree (with `/`), where it is on disk, and its size. */
export interface TreeFile {
  path: string;
  abs: string;
  size: number;
}

/**
 * Lists every regular file under `root` (or `root` itself when it is a file).
 * Symlinks are followed only while they stay inside the tree: one that points
 * out of it is refused, because storing it would copy files the user never
 * meant to publish.
 */
export async function walkTree(root: string): Promise<{ kind: 'file' | 'dir'; files: TreeFile[] }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(root);
  } catch (e) {
    throw new LockstepError('E_NOT_FOUND', `no file or directory at ${root}`, { cause: e, details: { path: root } });
  }
  if (info.isFile()) return { kind: 'file', files: [{ path: '', abs: root, size: info.size }] };
  if (!info.isDirectory()) throw new LockstepError('E_INPUT', `${root} is neither a file nor a directory`);
  const realRoot = await realpath(root);
  const files: TreeFile[] = [];
  await walkDir(realRoot, root, '', files);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { kind: 'dir', files };
}

async function walkDir(realRoot: string, dir: string, prefix: string, out: TreeFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await realpath(abs).catch(() => null);
      if (target === null || !isInside(realRoot, target)) {
        throw new LockstepError(
          'E_INPUT',
          `${rel} is a symlink to ${target ?? 'a missing file'}, outside the directory being stored; copy the file in or remove the link`,
          { details: { path: rel } },
        );
      }
      const t = await stat(target);
      isDir = t.isDirectory();
      isFile = t.isFile();
    }
    if (isDir) await walkDir(realRoot, abs, rel, out);
    else if (isFile) out.push({ path: rel, abs, size: (await lstatFollow(abs)).size });
  }
}

async function lstatFollow(path: string) {
  const l = await lstat(path);
  return l.isSymbolicLink() ? stat(path) : l;
}

/** Joins a checked relative name (with `/`) under a directory. */
export function under(dir: string, name: string): string {
  return name === '' ? dir : join(dir, ...name.split('/'));
}
