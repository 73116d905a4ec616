import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { LockstepError } from '../errors.ts';

/** Reads a YAML (or JSON) config file; a missing file or malformed YAML names the file, line and column. */
export function readYamlFile(path: string, flag: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new LockstepError('E_INPUT', `${flag}: no such file ${path}`, { details: { path } });
  }
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    throw new LockstepError(
      'E_INPUT',
      `${flag}: malformed YAML in ${path}${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${err.message.split('\n')[0]}`,
      { details: { path, line: at?.line, column: at?.col } },
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml refuses an alias bomb (a billion laughs) here: bad input like any malformed file
    throw new LockstepError('E_INPUT', `${flag}: ${path} cannot be read: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    });
  }
}

/** A config file's content: an object (empty when the file is empty); anything else is an input error naming the file. */
export function readMapping(path: string, flag: string): Record<string, unknown> {
  let value = readYamlFile(path, flag);
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new LockstepError(
      'E_INPUT',
      `${flag}: ${path} must hold a mapping of keys to values, not a ${Array.isArray(value) ? 'list' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/** The section `select` (dotted) of a config document; `what` names the document in errors. */
export function selectSection(doc: Record<string, unknown>, select: string, what: string): Record<string, unknown> {
  let cur: unknown = doc;
  for (const part of select.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) {
      const keys = cur && typeof cur === 'object' ? Object.keys(cur) : [];
      throw new LockstepError(
        'E_INPUT',
        `--select: ${what} has no section "${select}" (sections: ${keys.join(', ') || 'none'})`,
        { details: { select } },
      );
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) {
    throw new LockstepError('E_INPUT', `--select: section "${select}" of ${what} is not a mapping`);
  }
  return cur as Record<string, unknown>;
}

/** A dotted key's value in a nested object, and whether it is there. */
export function getPath(obj: Record<string, unknown>, path: string): { found: boolean; value: unknown } {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (!isPlain(cur) || !Object.hasOwn(cur as object, p)) return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[p];
  }
  return { found: true, value: cur };
}

/** Removes a dotted key from a nested object (a copy; the input is left alone). */
export function withoutPath(obj: Record<string, unknown>, path: string): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const out = { ...obj };
  if (rest.length === 0) delete out[head];
  else if (isPlain(out[head])) out[head] = withoutPath(out[head] as Record<string, unknown>, rest.join('.'));
  return out;
}

/** Deep-merges `b` into `a` (objects merge, everything else replaces); returns a new object. */
export function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    out[k] = isPlain(old) && isPlain(v) ? merge(old as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function isPlain(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** Sets a dotted key in a nested object, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isPlain(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** Turns `{ 'a.b': 1 }` into `{ a: { b: 1 } }`. */
export function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) setPath(out, k, v);
  return out;
}

/** Turns `{ a: { b: 1 } }` into `{ 'a.b': 1 }` (lists and empty objects stay values): a config as run params. */
export function flattenConfig(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlain(v) && Object.keys(v as object).length) flattenConfig(v as Record<string, unknown>, key, out);
    else if (v !== undefined) out[key] = v;
  }
  return out;
}
