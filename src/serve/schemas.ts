import { z } from 'zod';
import type { InstanceDoc } from '../models/servable.ts';

/** The body of POST /predict for a model: one instance, or `instances` for a batch. */
export function predictBody(doc: InstanceDoc) {
  const named = z
    .object(Object.fromEntries(doc.features.map((f) => [f, z.number().describe(`feature ${f}`)])))
    .strict()
    .describe('one instance: every feature of the model, as a number');
  const tensors = z
    .object(Object.fromEntries(doc.inputs.map((i) => [i.name, z.unknown().describe(i.expected)])))
    .strict()
    .describe('one instance: a value for each input of the model, without the batch dimension');
  const instance = doc.features.length
    ? z.union([named, z.array(z.number()).describe('the features in order')])
    : doc.inputs.length === 1
      ? z.union([tensors, z.unknown().describe(`the value of ${doc.inputs[0]?.name} alone`)])
      : tensors;
  return z.union([instance, z.object({ instances: z.array(instance).min(1).max(MAX_BATCH) }).strict()]);
}

/** The /predict description: what an instance is for this model. */
export function predictDescription(doc: InstanceDoc): string {
  const one = doc.features.length
    ? `an object with the features (${doc.features.join(', ')}) as numbers, or an array of them in that order`
    : `an object with ${doc.inputs.map((i) => `\`${i.name}\` (${i.expected})`).join(', ')}${doc.inputs.length === 1 ? ', or that value alone' : ''}`;
  return `Body: one instance, ${one}; or \`{ "instances": [...] }\` for up to ${MAX_BATCH}. A missing, extra or mistyped field is a 422 naming it.`;
}

export const MAX_BATCH = 1000;

export const prediction = z.object({
  label: z.string().optional().describe('the class, for a classifier'),
  probabilities: z.record(z.string(), z.number()).optional().describe('label → probability, when the model has them'),
  outputs: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('output name → this instance’s part of it, for a model that is not a classifier (ONNX)'),
  cached: z.boolean().optional(),
});

export const classificationMetrics = z.object({
  n: z.number().int(),
  accuracy: z.number(),
  macroF1: z.number(),
  labels: z.array(z.string()),
  confusion: z.array(z.array(z.number())),
  perClass: z.record(
    z.string(),
    z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() }),
  ),
});

export const regressionMetrics = z.object({ n: z.number().int(), rmse: z.number(), mae: z.number(), r2: z.number() });

/** The /predict answer for a model: its class labels, or its outputs by name. */
export function predictResponseFor(doc: InstanceDoc) {
  const one = doc.outputs.length
    ? z.object({
        outputs: z
          .object(Object.fromEntries(doc.outputs.map((o) => [o.name, z.unknown().describe(o.expected)])))
          .describe('the model’s outputs, this instance’s part of each'),
        cached: z.boolean().optional(),
      })
    : doc.labels.length
      ? z.object({
          label: z.enum(doc.labels as [string, ...string[]]),
          probabilities: z
            .object(Object.fromEntries(doc.labels.map((l) => [l, z.number()])))
            .optional()
            .describe('label → probability, when the model has them'),
          cached: z.boolean().optional(),
        })
      : prediction;
  return predictResponse.extend({
    prediction: one.optional().describe('for a single instance'),
    predictions: z.array(one).optional().describe('for a batch, in request order'),
  });
}

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
