import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { LockstepError } from '../errors.ts';

/** Any zod schema; introspected through its `def`, which zod 4 keeps stable. */
export type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: AnySchema[];
  entries?: Record<string, unknown>;
  values?: unknown[];
  in?: AnySchema;
  out?: AnySchema;
  defaultValue?: unknown;
  catchall?: AnySchema;
}

function def(s: AnySchema): Def {
  return (s as unknown as { def: Def }).def;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** The schema under optional/default/nullable wrappers (and the input side of pipes). */
export function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = def(cur);
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else if (d.type === 'lazy') cur = (cur as unknown as { def: { getter(): AnySchema } }).def.getter();
    else break;
  }
  return cur;
}

export function typeOf(s: AnySchema): string {
  return def(unwrap(s)).type;
}

/** The fields of an object schema, or undefined when the schema is not an object. */
export function fieldsOf(s: AnySchema): Record<string, AnySchema> | undefined {
  const u = unwrap(s);
  return def(u).type === 'object' ? (def(u).shape as Record<string, AnySchema>) : undefined;
}

/** Whether an object schema takes keys it does not name (z.looseObject, .catchall, z.record). */
export function isOpen(s: AnySchema): boolean {
  const u = unwrap(s);
  const d = def(u);
  if (d.type === 'record') return true;
  return d.type === 'object' && d.catchall !== undefined && def(d.catchall).type !== 'never';
}

/** Every dotted key path of the schema's leaves (and objects), for suggestions and help. */
export function keyPaths(s: AnySchema, prefix = ''): string[] {
  const fields = fieldsOf(s);
  if (!fields) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p, ...keyPaths(v, p));
  }
  return out;
}

/** The closest of `candidates` to `key`, when it is close enough to be a plausible typo. */
export function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(key.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.ceil(key.length / 3)) ? best : undefined;
}

function unknownKey(path: string, where: string, siblings: string[], all: string[]): LockstepError {
  const leaf = path.split('.').pop() as string;
  const near = closest(leaf, siblings);
  const suggestion = near
    ? `did you mean "${path.split('.').slice(0, -1).concat(near).join('.')}"?`
    : closest(path, all)
      ? `did you mean "${closest(path, all)}"?`
      : `valid keys here: ${siblings.join(', ') || '(none)'}`;
  return new LockstepError('E_INPUT', `${where}: unknown config key "${path}"; ${suggestion}`, {
    details: { key: path },
  });
}

/** The schema of a dotted key; an unknown key is an E_INPUT with the closest valid key. */
export function schemaAt(root: AnySchema, path: string, where: string): AnySchema {
  let cur = root;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const fields = fieldsOf(cur);
    if (fields && Object.hasOwn(fields, part)) {
      cur = fields[part] as AnySchema;
      continue;
    }
    const u = unwrap(cur);
    if (def(u).type === 'record') {
      cur = (u as unknown as { def: { valueType: AnySchema } }).def.valueType;
      continue;
    }
    if (fields && isOpen(cur) && def(u).catchall) {
      cur = def(u).catchall as AnySchema;
      continue;
    }
    if (!fields && i > 0) {
      throw new LockstepError(
        'E_INPUT',
        `${where}: "${parts.slice(0, i).join('.')}" is a ${typeOf(cur)}, it has no key "${part}"`,
        { details: { key: path } },
      );
    }
    throw unknownKey(path, where, Object.keys(fields ?? {}), keyPaths(root));
  }
  return cur;
}

/** Refuses keys the schema does not know anywhere in a raw config object. */
export function checkKeys(root: AnySchema, value: unknown, where: string, prefix = ''): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const fields = fieldsOf(prefix ? schemaAt(root, prefix, where) : root);
  if (!fields) return;
  const sub = prefix ? schemaAt(root, prefix, where) : root;
  for (const [k, v] of Object.entries(value)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (!Object.hasOwn(fields, k)) {
      if (isOpen(sub)) continue;
      throw unknownKey(p, where, Object.keys(fields), keyPaths(root));
    }
    checkKeys(root, v, where, p);
  }
}
