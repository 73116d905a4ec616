import { type InputIssue, issueMessage } from '../models/instance.ts';
import type { Batcher } from './batch.ts';
import { cacheKey, type PredictionCache } from './cache.ts';
import { MAX_BATCH } from './schemas.ts';
import type { ServedModel } from './served.ts';

/** What /predict answers: a status, JSON text, and how the cache did (for the request log). */
export interface PredictAnswer {
  status: number;
  json: string;
  cache: 'hit' | 'miss' | 'partial' | null;
}

function invalid(issue: InputIssue): PredictAnswer {
  const body = {
    error: { code: 'E_INPUT', message: issueMessage(issue), field: issue.field, expected: issue.expected },
  };
  return { status: 422, json: JSON.stringify(body), cache: null };
}

/**
 * Answers one /predict body. Validation is hand-written from the model's
 * input schema rather than run through zod on every request: it names the
 * same field and expected type, and a cache hit then costs a few
 * microseconds. Cached entries are prediction JSON, spliced into the answer.
 */
export async function predict(
  served: ServedModel,
  cache: PredictionCache,
  batcher: Batcher,
  body: unknown,
): Promise<PredictAnswer> {
  const model = served.model; // one version for the whole request, even if a retrain swaps it meanwhile
  const version = model.version.version;
  const batch = body !== null && typeof body === 'object' && !Array.isArray(body) && 'instances' in body;
  let instances: unknown[];
  if (batch) {
    const list = (body as { instances: unknown }).instances;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) {
      return invalid({
        field: 'instances',
        expected: `an array of 1 to ${MAX_BATCH} instances`,
        received: Array.isArray(list) ? `${list.length} instances` : typeof list,
      });
    }
    const extra = Object.keys(body as object).find((k) => k !== 'instances');
    if (extra)
      return invalid({
        field: extra,
        expected: 'no such field',
        received: typeof (body as Record<string, unknown>)[extra],
      });
    instances = list;
  } else instances = [body];

  const n = instances.length;
  const keys = new Array<string>(n);
  const answers = new Array<string>(n);
  const fresh = new Array<boolean>(n).fill(false);
  const missing: number[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const checked = model.check(instances[i], batch ? `instances[${i}]` : '');
    if ('field' in checked) return invalid(checked);
    const key = cacheKey(version, checked.key);
    keys[i] = key;
    const hit = cache.get(key);
    if (hit === undefined) {
      missing.push(i);
      values.push(checked.value);
    } else answers[i] = hit;
  }
  if (values.length) {
    const predicted = await batcher.answer(model, values);
    missing.forEach((i, j) => {
      const json = JSON.stringify(predicted[j] ?? {});
      cache.set(keys[i] as string, json);
      answers[i] = json;
      fresh[i] = true;
    });
  }
  const head = `{"model":${JSON.stringify(served.name)},"version":${version},`;
  const allCached = missing.length === 0;
  const state = allCached ? 'hit' : missing.length === n ? 'miss' : 'partial';
  if (!batch) return { status: 200, json: `${head}"prediction":${answers[0]},"cached":${allCached}}`, cache: state };
  // every cached text is an object ending in "}": splice the per-answer flag in before it
  const parts = answers.map((a, i) => `${a.slice(0, -1)},"cached":${!fresh[i]}}`);
  return { status: 200, json: `${head}"predictions":[${parts.join(',')}],"cached":${allCached}}`, cache: state };
}
