import { LockstepError } from '../errors.ts';

/** A problem with one instance: which field, what was expected, what came. */
export interface InputIssue {
  field: string;
  expected: string;
  received: string;
}

/**
 * The feature vector of an instance of a model whose inputs are named
 * numbers, or the first problem with it: an object keyed by feature name,
 * or an array in feature order.
 */
export function featureVector(features: readonly string[], instance: unknown, at: string): number[] | InputIssue {
  if (Array.isArray(instance)) {
    if (instance.length !== features.length) {
      return {
        field: at,
        expected: `an array of ${features.length} numbers (${features.join(', ')})`,
        received: `${instance.length} values`,
      };
    }
    for (let i = 0; i < instance.length; i++) {
      const v = instance[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return { field: `${at}[${i}] (${features[i]})`, expected: 'number', received: describe(v) };
      }
    }
    return instance as number[];
  }
  if (instance === null || typeof instance !== 'object') {
    return { field: at || 'body', expected: `an object with ${features.join(', ')}`, received: describe(instance) };
  }
  const obj = instance as Record<string, unknown>;
  const out = new Array<number>(features.length);
  for (let i = 0; i < features.length; i++) {
    const name = features[i] as string;
    const v = obj[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return { field: at ? `${at}.${name}` : name, expected: 'number', received: describe(v) };
    }
    out[i] = v;
  }
  for (const key in obj) {
    if (!features.includes(key))
      return { field: at ? `${at}.${key}` : key, expected: 'no such field', received: describe(obj[key]) };
  }
  return out;
}

export function issueError(issue: InputIssue): LockstepError {
  return new LockstepError('E_INPUT', issueMessage(issue), { details: { ...issue } });
}

export function issueMessage(issue: InputIssue): string {
  return issue.expected === 'no such field'
    ? `${issue.field}: unknown field (the model takes no such input)`
    : `${issue.field}: expected ${issue.expected}, got ${issue.received}`;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return Array.isArray(v) ? 'array' : typeof v;
}
