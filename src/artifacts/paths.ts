import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { LockstepError } from '../errors.ts';

/** One file of a tree: its path inside the tree (with `/`), where it is on disk, and its size. */
export interface TreeFile {
  path: string;
  abs: string;
  size: number;
}

/**
 * Checks a name that becomes a path under a directory (an artifact name, a
 * file inside an artifact): relative, made of plain segments, never climbing
 * out with `..`. Returns it with `/` separators.
 */
export function checkRelativeName(name: string, what: string): string {
  if (typeof name !== 'string' || name === '') throw new LockstepError('E_INPUT', `${what} must be a non-empty string`);
  if (name.includes('\u0000')) throw new LockstepError('E_INPUT', `${what} "${name}" contains a NUL character`);
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.startsWith('/') || name.startsWith('\\')) {
    throw new LockstepError(
      'E_INPUT',
      `${what} "${name}" is an absolute path; use a relative name such as "model.json"`,
      {
        details: { name },
      },
    );
  }
  const parts = name.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) {
    throw new LockstepError('E_INPUT', `${what} "${name}" escapes its directory with ".."; use a name inside it`, {
      details: { name },
    });
  }
  const clean = parts.filter((p) => p !== '' && p !== '.');
  if (clean.length === 0) throw new LockstepError('E_INPUT', `${what} "${name}" names no file`);
  return clean.join('/');
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

function isInside(root: string, target: string): boolean {
  const r = relative(root, target);
  return r === '' || (!isAbsolute(r) && r !== '..' && !r.startsWith(`..${sep}`));
}

/** Joins a checked relative name (with `/`) under a directory. */
export function under(dir: string, name: string): string {
  return name === '' ? dir : join(dir, ...name.split('/'));
}
