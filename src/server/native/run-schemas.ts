import { z } from 'zod';
import type { RunRecord } from '../../store/store.ts';
import { toDisplay } from '../values.ts';
import { DateInput, MAX_TIME_MS } from './shared.ts';

export const Status = z.enum(['pending', 'running', 'done', 'failed', 'interrupted']);
export const Values = z.record(z.string(), z.unknown());
const Point = z.object({
  key: z.string().min(1).max(250),
  value: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]),
  step: z.number().int().nonnegative().optional(),
  timestamp: z.number().int().nonnegative().max(MAX_TIME_MS).optional(),
});
export const PointsBody = z.array(Point).max(100_000);

export const RunInput = z.object({
  id: z.string().min(1).max(256).optional(),
  status: Status.optional(),
  startedAt: DateInput.optional(),
  endedAt: DateInput.optional(),
  error: z.string().nullable().optional(),
  errorStack: z.string().nullable().optional(),
  config: Values.optional(),
  params: Values.optional(),
  fields: Values.optional(),
  metrics: PointsBody.optional(),
  replaceMetrics: z.boolean().optional(),
  attempt: z.number().int().nonnegative().max(1_000_000_000).optional(),
  steps: z.array(z.string().max(500)).max(1000).nullable().optional(),
  host: z.string().max(255).optional(),
  pid: z.number().int().nonnegative().max(4_294_967_295).optional(),
  executor: z.string().max(32).optional(),
  leaseUntil: z.number().int().nonnegative().max(8_640_000_000_000_000).nullable().optional(),
  archiveKeys: z.array(z.string().min(1).max(250)).max(10_000).optional(),
  pointsOnly: z.boolean().optional(),
});

export const RunDetail = z.object({
  run: z.object({
    id: z.string(),
    status: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    error: z.string().nullable(),
    errorStack: z.string().nullable(),
    config: Values,
    params: Values,
    fields: Values,
    tags: z.record(z.string(), z.string()),
  }),
});

export function pointValue(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function runJson(r: RunRecord, tags: Record<string, string> = {}) {
  return {
    id: r.id,
    status: r.status,
    startedAt: r.startedAt?.toISOString() ?? null,
    endedAt: r.endedAt?.toISOString() ?? null,
    error: r.error,
    errorStack: r.errorStack,
    config: toDisplay(r.config) as Record<string, unknown>,
    params: toDisplay(r.params) as Record<string, unknown>,
    fields: toDisplay(r.fields) as Record<string, unknown>,
    tags,
  };
}
