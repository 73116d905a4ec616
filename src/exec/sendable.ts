import { LockstepError } from '../errors.ts';

const CLONEABLE = [
  Date,
  RegExp,
  Map,
  Set,
  ArrayBuffer,
  DataView,
  Error,
  Boolean,
  Number,
  String,
  globalThis.SharedArrayBuffer,
].filter(Boolean);

/**
 * The first part of `value` that structured cloning (how values reach a worker)
 * would refuse or silently change, as a path and a reason; undefined when the
 * value travels intact. Class instances travel as plain objects without their
 * methods, so they are refused too rather than arriving broken.
 */
export function unsendable(value: unknown, path: string, seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return undefined;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unsendable(value[i], `${path}[${i}]`, seen);
      if (bad) return bad;
    }
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const bad = unsendable(k, `${path} (a Map key)`, seen) ?? unsendable(v, `${path}.get(${String(k)})`, seen);
      if (bad) return bad;
    }
    return undefined;
  }
  if (value instanceof Set) {
    for (const v of value) {
      const bad = unsendable(v, `${path} (a Set member)`, seen);
      if (bad) return bad;
    }
    return undefined;
  }
  if (CLONEABLE.some((c) => value instanceof c)) return undefined;
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto?.constructor as { name?: string } | undefined)?.name || 'a class';
    return `${path} is an instance of ${name}, which would arrive in the worker as a plain object without its methods`;
  }
  for (const key in value as Record<string, unknown>) {
    const bad = unsendable((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
    if (bad) return bad;
  }
  return undefined;
}

/** Throws E_INPUT, before any run starts, when config or a run's params cannot be sent to a worker. */
export function assertSendable(
  config: Record<string, unknown>,
  runs: readonly { id: string; params: Record<string, unknown> }[],
  where: string,
): void {
  const bad = unsendable(config, 'config');
  if (bad) throw notSendable(bad, where);
  for (const run of runs) {
    const params = run.params;
    for (const key in params) {
      const v = params[key];
      // Scalars are by far the common case; only objects need the walk.
      if (v === null || (typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol')) continue;
      const why = unsendable(v, `params.${key} of run ${run.id}`);
      if (why) throw notSendable(why, where);
    }
  }
}

function notSendable(why: string, where: string): LockstepError {
  return new LockstepError(
    'E_INPUT',
    `${why}; it cannot be sent to ${where}. Use plain data (numbers, strings, arrays, plain objects, Maps, Dates, ` +
      'typed arrays), or give the worker what it needs to rebuild the value (a path, a name, a seed) and rebuild it in a step.',
    { details: { path: why } },
  );
}
