import { parse as parseYaml } from 'yaml';
import { LockstepError } from '../errors.ts';
import { type AnySchema, typeOf, unwrap } from './schema.ts';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function bad(where: string, key: string, text: string, expected: string): LockstepError {
  return new LockstepError('E_INPUT', `${where}: ${key}=${JSON.stringify(text)} is not ${expected}`, {
    details: { key, value: text, expected },
  });
}

/**
 * A command-line string as the type the schema wants at that key: numbers,
 * booleans, strings as they are, null, enum members, and YAML for lists,
 * objects and unions (`-o layers=[64,32]`).
 */
export function coerce(schema: AnySchema, key: string, text: string, where: string): unknown {
  const type = typeOf(schema);
  const inner = unwrap(schema) as unknown as { def: Record<string, unknown> };
  const nullable = schema.safeParse(null).success;
  if (nullable && (text === 'null' || text === '~')) return null;
  switch (type) {
    case 'number':
    case 'int': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(n)) throw bad(where, key, text, 'a number');
      return n;
    }
    case 'bigint':
      try {
        return BigInt(text);
      } catch {
        throw bad(where, key, text, 'an integer');
      }
    case 'boolean': {
      const t = text.toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw bad(where, key, text, 'a boolean (true/false, yes/no, 1/0)');
    }
    case 'string':
      return text;
    case 'enum': {
      const values = Object.values((inner.def.entries as Record<string, unknown>) ?? {});
      const hit = values.find((v) => String(v) === text);
      if (hit === undefined) throw bad(where, key, text, `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
      return hit;
    }
    case 'literal': {
      const values = (inner.def.values as unknown[]) ?? [];
      const hit = values.find((v) => String(v) === text);
      if (hit === undefined) throw bad(where, key, text, values.map((v) => JSON.stringify(v)).join(' or '));
      return hit;
    }
    case 'date': {
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) throw bad(where, key, text, 'a date (ISO 8601)');
      return d;
    }
    default: {
      try {
        return parseYaml(text);
      } catch (e) {
        throw bad(where, key, text, `valid YAML for a ${type} (${(e as Error).message.split('\n')[0]})`);
      }
    }
  }
}
