import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { badString, checkInput } from '../input.ts';
import { MAX_KEY, MAX_METRICS_PER_BATCH } from './schemas.ts';

/**
 * `runs/log-batch` is the hot path of a training loop (1,000 points a request,
 * many clients), and a generic walk of its body (the input check, then zod's
 * union and refinement per field) cost more than parsing it. This checks the
 * common body in one loop: run id, metrics with a number value, integer
 * timestamp and step, no params or tags. It accepts only bodies the schema
 * accepts and answers them as the schema would; anything else (strings for
 * numbers, params, tags, unknown keys, a bad value) goes the generic way, with
 * its messages.
 */
function fastBody(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const body = data as Record<string, unknown>;
  for (const k in body) {
    const v = body[k];
    switch (k) {
      case 'run_id':
      case 'run_uuid':
        if (typeof v !== 'string' || v.length === 0 || badString(v)) return false;
        break;
      case 'params':
      case 'tags':
        if (!Array.isArray(v) || v.length !== 0) return false;
        break;
      case 'metrics':
        if (!fastMetrics(v)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const MAX_MILLIS = 8.64e15;

function fastMetrics(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > MAX_METRICS_PER_BATCH) return false;
  let lastKey: string | undefined;
  for (let i = 0; i < v.length; i++) {
    const m = v[i] as Record<string, unknown>;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
    let seen = 0;
    for (const k in m) {
      if (k === 'key' || k === 'value' || k === 'timestamp') seen++;
      else if (k !== 'step') return false;
    }
    if (seen !== 3) return false;
    const { key, value, timestamp, step } = m;
    if (typeof key !== 'string') return false;
    // the keys of one batch are mostly one key again and again: check each new one
    if (key !== lastKey) {
      if (key.length === 0 || key.length > MAX_KEY || badString(key)) return false;
      lastKey = key;
    }
    if (typeof value !== 'number') return false;
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || Math.abs(timestamp) > MAX_MILLIS)
      return false;
    if (step !== undefined && (typeof step !== 'number' || !Number.isSafeInteger(step))) return false;
  }
  return true;
}

/**
 * The validator of the log-batch body: the fast check above, else the input
 * check (NUL characters, lone surrogates, depth) and the zod schema. The route
 * says `config: { checksInput: true }`, so the global input check leaves its
 * body to this.
 */
export const logBatchValidator: FastifySchemaCompiler<unknown> = (route) => {
  const schema = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
  if (route.httpPart !== 'body') return schema;
  return (data: unknown) => {
    if (fastBody(data)) return { value: data };
    try {
      checkInput(data, 'body');
    } catch (e) {
      return { error: e as Error };
    }
    return schema(data);
  };
};
