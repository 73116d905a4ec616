import { z } from 'zod';
import { LockstepError } from '../../errors.ts';
import { quoteId } from '../../store/driver.ts';
import { MAX_EXPERIMENT_NAME } from '../../store/names.ts';
import type { ExperimentRecord, RunRecord, Store } from '../../store/store.ts';

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }).loose(),
});

export const NameParams = z.object({ name: z.string().min(1).max(MAX_EXPERIMENT_NAME) });
export const RunParams = NameParams.extend({ runId: z.string().min(1).max(256) });

export const ExperimentInfo = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  runs: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export async function countRuns(store: Store, exp: ExperimentRecord): Promise<number> {
  const [row] = await store.driver.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${quoteId(exp.tableName)}`);
  return Number(row?.n ?? 0);
}

export function experimentJson(exp: ExperimentRecord, runs: number) {
  return {
    id: exp.id,
    name: exp.name,
    description: exp.description,
    runs,
    createdAt: exp.createdAt.toISOString(),
    updatedAt: exp.updatedAt.toISOString(),
  };
}

export function columnsJson(exp: ExperimentRecord) {
  return Object.entries(exp.meta.columns).map(([name, c]) => ({ name, role: c.role, key: c.key, kind: c.kind }));
}

/** The body of every endpoint that answers one experiment: its summary, columns, table and fields. */
export function experimentDetail(exp: ExperimentRecord, runs: number) {
  return {
    experiment: {
      ...experimentJson(exp, runs),
      columns: columnsJson(exp),
      tableName: exp.tableName,
      fields: exp.fields,
    },
  };
}

export async function requireRun(store: Store, exp: ExperimentRecord, runId: string): Promise<RunRecord> {
  const [run] = await store.readRuns(exp, { runIds: [runId] });
  if (!run)
    throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run "${runId}"`, { details: { runId } });
  return run;
}

export async function runExists(store: Store, exp: ExperimentRecord, runId: string): Promise<boolean> {
  const rows = await store.driver.all(`SELECT 1 AS one FROM ${quoteId(exp.tableName)} WHERE run_id = ?`, [runId]);
  return rows.length > 0;
}

/** A comma-separated query value as a list (empty items dropped). */
export function list(v: string | undefined): string[] | undefined {
  if (v === undefined || v === '') return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A date given as ISO text or epoch milliseconds. */
/** The largest time a JavaScript Date holds (±100,000,000 days from 1970), in milliseconds. */
export const MAX_TIME_MS = 8.64e15;

export const DateInput = z
  .union([
    z.iso.datetime({ offset: true }).refine((v) => !Number.isNaN(new Date(v).getTime()), 'a date a Date can hold'),
    z.number().int().nonnegative().max(MAX_TIME_MS),
  ])
  .nullable();

export function toDate(v: string | number | null | undefined): Date | null {
  return v === null || v === undefined ? null : new Date(v);
}
