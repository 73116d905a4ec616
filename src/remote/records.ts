import { CODEC_VERSION } from '../store/codec.ts';
import type { Row } from '../store/driver.ts';
import type { Kind } from '../store/kinds.ts';
import { experimentTable } from '../store/names.ts';
import type { ColumnInfo, ExperimentRecord, MetricPoint, RunRecord, RunWrite } from '../store/store.ts';
import { fromWire, toWire } from './wire.ts';

/** An experiment as the server's API describes it. */
export type ExperimentJson = {
  id: string;
  name: string;
  description: string | null;
  runs?: number;
  createdAt: string;
  updatedAt: string;
  tableName?: string;
  fields?: Record<string, unknown>;
  columns?: { name: string; role: ColumnInfo['role']; key: string; kind: Kind | null }[];
};

export function toRecord(e: ExperimentJson): ExperimentRecord {
  const columns: Record<string, ColumnInfo> = {};
  for (const c of e.columns ?? []) columns[c.name] = { role: c.role, key: c.key, kind: c.kind };
  return {
    id: e.id,
    name: e.name,
    tableName: e.tableName ?? experimentTable(e.name),
    description: e.description,
    createdAt: new Date(e.createdAt),
    updatedAt: new Date(e.updatedAt),
    fields: e.fields ?? {},
    meta: { tool: '', codec: CODEC_VERSION, columns },
  };
}

export function wireNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export function wireRun(run: RunWrite, metrics: readonly MetricPoint[]) {
  return {
    id: run.id,
    status: run.status,
    startedAt: isoOf(run.startedAt),
    endedAt: isoOf(run.endedAt),
    error: run.error,
    errorStack: run.errorStack,
    config: toWire(run.config),
    params: toWire(run.params),
    fields: toWire(run.fields),
    metrics: metrics.map((p) => ({ key: p.key, step: p.step, timestamp: p.timestamp, value: wireNumber(p.value) })),
    replaceMetrics: run.replaceMetrics,
    ...lifecycle(run),
    ...(run.archiveKeys?.length ? { archiveKeys: run.archiveKeys } : {}),
    ...(run.pointsOnly ? { pointsOnly: true } : {}),
  };
}

function isoOf(t: Date | number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

/** The live-run fields of a record, as the wire carries them (absent ones stay absent). */
export function lifecycle(r: Pick<RunRecord, 'attempt' | 'steps' | 'host' | 'pid' | 'executor' | 'leaseUntil'>) {
  return {
    ...(r.attempt !== undefined ? { attempt: r.attempt } : {}),
    ...(r.steps !== undefined ? { steps: r.steps } : {}),
    ...(r.host != null ? { host: r.host } : {}),
    ...(r.pid != null ? { pid: r.pid } : {}),
    ...(r.executor != null ? { executor: r.executor } : {}),
    ...(r.leaseUntil !== undefined ? { leaseUntil: r.leaseUntil } : {}),
  };
}

export function fromWireRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    status: r.status as RunRecord['status'],
    startedAt: r.startedAt ? new Date(r.startedAt as string) : null,
    endedAt: r.endedAt ? new Date(r.endedAt as string) : null,
    error: (r.error as string | null) ?? null,
    errorStack: (r.errorStack as string | null) ?? null,
    paramsKey: r.paramsKey as string,
    config: fromWire(r.config as Record<string, unknown>, 'config'),
    params: fromWire(r.params as Record<string, unknown>, 'params'),
    fields: fromWire(r.fields as Record<string, unknown>, 'fields'),
    attempt: typeof r.attempt === 'number' ? r.attempt : 0,
    steps: Array.isArray(r.steps) ? (r.steps as string[]) : null,
    host: (r.host as string | undefined) ?? null,
    pid: typeof r.pid === 'number' ? r.pid : null,
    executor: (r.executor as string | undefined) ?? null,
    leaseUntil: typeof r.leaseUntil === 'number' ? r.leaseUntil : null,
  };
}
