import { z } from 'zod';

/**
 * Request shapes of MLflow's tracking API, as its clients send them
 * (protobuf JSON with the proto field names). int64 fields arrive as numbers
 * from the Python client and as strings from protobuf's own JSON printer:
 * both are accepted.
 */
export const Int64 = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  // beyond 2^53 a number is no longer the integer sent ("99999999999999999999999" would become 1e23)
  .refine(Number.isSafeInteger, 'an integer within ±9007199254740991');
/** Milliseconds since 1970 that a Date can hold (±8.64e15). */
export const Millis = Int64.refine((v) => Math.abs(v) <= 8.64e15, 'a time in milliseconds within ±8.64e15');
/** Metric values: numbers, or protobuf JSON's spellings of the non-finite doubles. */
export const Double = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number)]);

// MLflow's limits (mlflow/utils/validation.py)
export const MAX_KEY = 250;
export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_VALUE = 8000;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;

export const Key = z.string().min(1).max(MAX_KEY);
export const Tag = z.object({ key: Key, value: z.string().max(MAX_TAG_VALUE) });
export const Param = z.object({ key: Key, value: z.string().max(MAX_PARAM_VALUE) });
export const Metric = z.object({ key: Key, value: Double, timestamp: Millis, step: Int64.optional() });

/** Every run request names the run by `run_id`, `run_uuid` (deprecated) or both. */
export const RunRef = z.object({ run_id: z.string().min(1).optional(), run_uuid: z.string().min(1).optional() });

/** The body of `runs/log-batch`. */
export const LogBatch = RunRef.extend({
  metrics: z.array(Metric).max(MAX_METRICS_PER_BATCH).optional(),
  params: z.array(Param).max(MAX_PARAMS_TAGS_PER_BATCH).optional(),
  tags: z.array(Tag).max(MAX_PARAMS_TAGS_PER_BATCH).optional(),
});

export const ViewType = z
  .union([z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']), z.union([z.literal(1), z.literal(2), z.literal(3)])])
  .transform((v) => (typeof v === 'number' ? (['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const)[v - 1] : v));

export const RunStatus = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

/** Query strings carry numbers as text. */
export const QueryInt = z.coerce.number().int();
