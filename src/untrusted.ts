import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type ErrorCode, LockstepError } from './errors.ts';

/**
 * The one check for digests and paths that come from outside the process: a
 * remote's manifest, a tag's lock files, a database row, a request. Each is
 * checked where it enters, before any filesystem call uses it (STYLE.md 18).
 */

const DIGESTS = {
  /** Blob store and dataset digests: SHA-256 in lower-case hex. */
  sha256: /^[0-9a-f]{64}$/,
  /** Run lock data hashes: XXH3-64 with its prefix. */
  xxh3: /^xxh3:[0-9a-f]{16}$/,
} as const;

export type DigestKind = keyof typeof DIGESTS;

/**
 * A digest of the given kind, or an error naming where it came from. `code`
 * is E_INPUT for what a caller or a remote sent, E_CODEC for a stored row.
 */
export function checkDigest(value: unknown, kind: DigestKind, what: string, code: ErrorCode = 'E_INPUT'): string {
  if (typeof value !== 'string' || !DIGESTS[kind].test(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 80)}"` : typeof value;
    throw new LockstepError(
      code,
      `${what}: ${shown} is not a ${kind === 'sha256' ? 'SHA-256 blob digest (64 hex digits)' : 'run lock hash (xxh3: and 16 hex digits)'}`,
      { details: { value } },
    );
  }
  return value;
}

/**
 * Checks a name that becomes a path under a directory (an artifact name, a
 * file of a manifest): a string, relative, made of plain segments, never
 * climbing out with `..`. Returns it with `/` separators.
 */
export function checkRelativeName(name: unknown, what: string): string {
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

/** Whether `target` is `root` or below it (both absolute, already resolved). */
export function isInside(root: string, target: string): boolean {
  const r = relative(root, target);
  return r === '' || (!isAbsolute(r) && r !== '..' && !r.startsWith(`..${sep}`));
}

/** The real path of `path`'s deepest existing ancestor, with the rest appended. */
function realish(path: string): string {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return path;
      tail.push(head.slice(up.length).replace(/^[\\/]+/, ''));
      head = up;
    }
  }
}

/**
 * The absolute path of a relative name under `root`, refused unless it stays
 * inside `root` after resolution, symlinks included: a pulled checkout may
 * hold a link `data -> /etc`, and `data/passwd` must not reach through it.
 */
export function insideRoot(root: string, name: unknown, what: string): string {
  const clean = checkRelativeName(name, what);
  const base = resolve(root);
  const target = resolve(base, ...clean.split('/'));
  if (!isInside(base, target) || !isInside(realish(base), realish(target))) {
    throw new LockstepError('E_INPUT', `${what} "${String(name)}" leads outside ${base}`, {
      details: { name, root: base },
    });
  }
  return target;
}

/** Whether a string is well-formed UTF-16 (no lone surrogate), which is what PostgreSQL text holds exactly. */
export function isWellFormed(s: string): boolean {
  // String.prototype.isWellFormed is native in Node 20; the ES2023 typings do not know it yet
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}
