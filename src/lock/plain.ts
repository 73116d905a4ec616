/**
 * A value turned into plain YAML/JSON data: Dates become ISO strings, bigints
 * decimal strings, Maps objects, Sets and typed arrays arrays; functions,
 * symbols and undefined are dropped. Cycles are cut with "[cycle]".
 */
export function toPlain(value: unknown, seen = new Set<object>()): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const obj = value as object;
  if (obj instanceof Date) return obj.toISOString();
  if (seen.has(obj)) return '[cycle]';
  seen.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) return [...obj].map((v) => toPlain(v, seen) ?? null);
    if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number>);
    const entries = obj instanceof Map ? [...obj.entries()] : Object.entries(obj);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const p = toPlain(v, seen);
      if (p !== undefined) out[String(k)] = p;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
