import { LockstepError } from '../errors.ts';

/** What one training parameter takes: a kind of number, a boolean, or one of some strings. */
export type ParamKind = 'positive integer' | 'integer' | 'positive number' | 'fraction or count' | 'boolean' | string[];

/** An algorithm's training parameters by name. */
export type ParamSpec = Readonly<Record<string, ParamKind>>;

function fits(kind: ParamKind, v: unknown): boolean {
  if (Array.isArray(kind)) return typeof v === 'string' && kind.includes(v);
  if (kind === 'boolean') return typeof v === 'boolean';
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (kind === 'integer') return Number.isInteger(v);
  if (kind === 'positive integer') return Number.isInteger(v) && v >= 1;
  if (kind === 'positive number') return v > 0;
  return v > 0 && (v <= 1 || Number.isInteger(v)); // a fraction of the features, or a count of them
}

function describe(kind: ParamKind): string {
  if (Array.isArray(kind)) return `one of ${kind.map((k) => JSON.stringify(k)).join(', ')}`;
  if (kind === 'fraction or count') return 'a number in (0, 1] or an integer >= 1';
  return kind === 'integer' || kind === 'positive integer'
    ? `an ${kind.replace('positive integer', 'integer >= 1')}`
    : `a ${kind}`;
}

/**
 * Checks training parameters against an algorithm's spec before any work
 * starts: an unknown name (a typo) or a value of the wrong kind is an
 * E_INPUT whose `details.field` is `params.NAME`.
 */
export function checkParams(algorithm: string, spec: ParamSpec, params: unknown): Record<string, unknown> {
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    throw new LockstepError('E_INPUT', 'params: expected an object of training parameters', {
      details: { field: 'params' },
    });
  for (const [name, v] of Object.entries(params)) {
    const field = `params.${name}`;
    const kind = spec[name];
    if (kind === undefined) {
      const known = Object.keys(spec);
      throw new LockstepError(
        'E_INPUT',
        `${field}: unknown parameter; ${algorithm} takes ${known.length ? known.join(', ') : 'no parameters'}`,
        { details: { field } },
      );
    }
    if (!fits(kind, v))
      throw new LockstepError('E_INPUT', `${field}: expected ${describe(kind)}, got ${JSON.stringify(v)}`, {
        details: { field },
      });
  }
  return params as Record<string, unknown>;
}
