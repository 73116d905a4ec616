import { z } from 'zod';

/** The body of POST /predict for a model's features: one instance, or `instances` for a batch. */
export function predictBody(features: string[]) {
  const instance = z
    .object(Object.fromEntries(features.map((f) => [f, z.number().describe(`feature ${f}`)])))
    .strict()
    .describe('one instance: every feature of the model, as a number');
  return z.union([
    instance,
    z
      .object({
        instances: z
          .array(z.union([instance, z.array(z.number())]))
          .min(1)
          .max(MAX_BATCH),
      })
      .strict(),
  ]);
}

export const MAX_BATCH = 1000;

export const prediction = z.object({
  label: z.string(),
  probabilities: z.record(z.string(), z.number()).optional().describe('label → probability, when the model has them'),
  cached: z.boolean().optional(),
});

export const predictResponse = z.object({
  model: z.string(),
  version: z.number().int(),
  prediction: prediction.optional().describe('for a single instance'),
  predictions: z.array(prediction).optional().describe('for a batch, in request order'),
  cached: z.boolean().describe('true when every answer came from the cache'),
});

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    expected: z.string().optional(),
  }),
});

export const cacheStats = z.object({
  size: z.number().int(),
  max: z.number().int(),
  hits: z.number().int(),
  misses: z.number().int(),
  hitRate: z.number(),
});

export const retrainBody = z
  .object({
    dataset: z.string().optional().describe('registered dataset; default: the one the served version was trained on'),
    datasetVersion: z.string().optional(),
    algorithm: z.string().optional().describe('default: the served version’s algorithm'),
    params: z.record(z.string(), z.unknown()).optional().describe('training parameters; default: the served version’s'),
    force: z.boolean().optional().describe('promote even when the new version does not beat the served one'),
    folds: z.number().int().min(2).max(20).optional(),
  })
  .strict();

export const job = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
});

export const evaluateBody = z
  .object({
    dataset: z.string().describe('a registered dataset with the model’s feature columns and its target column'),
    version: z.string().optional(),
    target: z.string().optional().describe('the label column, when the model file records none'),
  })
  .strict();
