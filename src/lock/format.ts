import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { xxh3 } from '@node-rs/xxhash';
import { parseDocument, stringify } from 'yaml';
import { LockstepError } from '../errors.ts';
import type { EnvState } from './env.ts';
import { formatHash } from './hash.ts';

export const LOCK_FILE = 'run.lock';
export const LOCK_VERSION = 1;

/** A repository as recorded: paths are relative to the lock's root. */
export interface RepoEntry {
  path: string;
  commit: string | null;
  tree: string;
  dirty: boolean;
  branch: string | null;
  captured: string | null;
  ref: string | null;
  remote: string | null;
}

export interface DataEntry {
  path: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
  files: number;
}

/** Another lock this one points at (a previous stage, or the sweep it belongs to). */
export interface LockLink {
  id: string;
  path: string;
  hash: string;
}

/** The content of a `run.lock` file, field by field (see docs/run-locks.md). */
export interface RunLock {
  version: number;
  id: string;
  name: string | null;
  created: string;
  /** The absolute directory relative paths in this lock start from (the first repository's top level). */
  root: string;
  /** The run's output directory (the logical run), relative to root. */
  dir: string;
  parent: LockLink | null;
  config: Record<string, unknown>;
  repos: RepoEntry[];
  data: DataEntry[];
  env: EnvState;
  prevs: LockLink[];
  /** The tracked run that wrote this lock (`lockstep run`, `cli`), when there is one: experiment name and run id. */
  run?: { experiment: string; id: string } | null;
}

/** `path` as the lock writes it: relative to root with `/` when inside it, absolute otherwise. */
export function toLockPath(root: string, path: string): string {
  const rel = relative(root, resolve(path));
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return resolve(path);
  return rel.split(sep).join('/');
}

/** A lock path back to an absolute path, against the root given (the recorded one by default). */
export function fromLockPath(root: string, path: string): string {
  return isAbsolute(path) ? path : join(root, ...path.split('/'));
}

/** A lock file's path from a file or a directory path. */
export function lockFileOf(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs) && statSync(abs).isDirectory()) return join(abs, LOCK_FILE);
  if (!existsSync(abs) && !/\.(lock|ya?ml)$/.test(abs)) return join(abs, LOCK_FILE);
  return abs;
}

export function lockToYaml(lock: RunLock): string {
  return `# run.lock written by lockstep: what this run used (config, code, data, environment, lineage)\n${stringify(lock, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

export function hashText(text: string): string {
  return formatHash(xxh3.xxh64(text));
}

/** Reads and checks a run.lock; a missing or malformed file is an input error naming it. */
export function readLock(path: string): { lock: RunLock; file: string; hash: string } {
  const file = lockFileOf(path);
  if (!existsSync(file)) throw new LockstepError('E_NOT_FOUND', `no run.lock at ${file}`, { details: { path: file } });
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e?.linePos?.[0];
    throw new LockstepError(
      'E_INPUT',
      `${file}${at ? `:${at.line}:${at.col}` : ''}: malformed run.lock: ${e?.message.split('\n')[0]}`,
    );
  }
  let lock: RunLock;
  try {
    lock = doc.toJS({ maxAliasCount: 100 }) as RunLock;
  } catch (e) {
    throw new LockstepError('E_INPUT', `${file} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  if (!lock || typeof lock !== 'object' || typeof lock.id !== 'string' || !Array.isArray(lock.data)) {
    throw new LockstepError('E_INPUT', `${file} is not a lockstep run.lock (no id or data list)`);
  }
  return { lock, file, hash: hashText(text) };
}
