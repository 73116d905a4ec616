import { RemoteStore } from '../remote/store.ts';
import type { Session } from '../session.ts';
import type { Row } from '../store/driver.ts';
import type { ExperimentRecord, RunRecord } from '../store/store.ts';

/** A metric point as copied: the run's series (`archived` false) or an earlier attempt's. */
export interface PointRow {
  runId: string;
  key: string;
  step: number;
  timestamp: number;
  value: number | null;
  attempt: number;
  archived: boolean;
}

/**
 * What a copy reads from the database it copies from. A direct connection
 * (SQLite, PostgreSQL) answers everything in SQL; a remote session reads
 * runs and points through the server's lossless `/records` and `/points`
 * endpoints, and tags and locks through its read-only SQL endpoint.
 */
export interface Source {
  readonly session: Session;
  /** Whether artifacts, datasets and the model registry can be read (a direct connection). */
  readonly direct: boolean;
  experiments(): Promise<ExperimentRecord[]>;
  runs(exp: ExperimentRecord): Promise<RunRecord[]>;
  /** Every point of these runs, current and archived. */
  points(exp: ExperimentRecord, runs: readonly RunRecord[]): Promise<PointRow[]>;
  /** Plain SQL over the source's shared tables (`?` placeholders), rows as the source's driver gives them. */
  sql(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

const CHUNK = 500;

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function pointOf(r: Row, archived: boolean): PointRow {
  return {
    runId: r.run_id as string,
    key: r.key as string,
    step: num(r.step),
    timestamp: num(r.timestamp),
    value: r.value === null || r.value === undefined ? null : num(r.value),
    attempt: num(r.attempt),
    archived,
  };
}

/** A source reached through a database driver. */
export function directSource(session: Session): Source {
  const driver = session.store.driver;
  return {
    session,
    direct: true,
    experiments: () => session.store.listExperiments(),
    runs: (exp) => session.store.readRuns(exp),
    async points(exp, runs) {
      const out: PointRow[] = [];
      for (let i = 0; i < runs.length; i += CHUNK) {
        const ids = runs.slice(i, i + CHUNK).map((r) => r.id);
        const marks = ids.map(() => '?').join(', ');
        for (const [table, archived] of [
          ['metrics', false],
          ['metrics_archive', true],
        ] as const) {
          const rows = await driver.all(
            `SELECT run_id, key, step, "timestamp", value, attempt FROM ${table} WHERE experiment_id = ? AND run_id IN (${marks}) ORDER BY run_id, attempt, key, step, "timestamp"`,
            [exp.id, ...ids],
          );
          for (const r of rows) out.push(pointOf(r, archived));
        }
      }
      return out;
    },
    sql: (text, params = []) => driver.all(text, params),
  };
}

/** A source on a lockstep server (`http(s)://…`). */
export function remoteSource(session: Session): Source {
  const store = session.store as RemoteStore;
  const pg = session.dialect === 'postgres';
  return {
    session,
    direct: false,
    experiments: () => store.listExperiments(),
    runs: (exp) => store.readRuns(exp),
    async points(exp, runs) {
      const out: PointRow[] = [];
      const name = encodeURIComponent(exp.name);
      for (const run of runs) {
        for (const archived of [false, true]) {
          for (let offset = 0; ; ) {
            const res = await store.http.request<{
              points: { key: string; step: number; timestamp: number; value: number | string; attempt?: number }[];
              more: boolean;
            }>(
              'GET',
              `/api/v1/experiments/${name}/runs/${encodeURIComponent(run.id)}/points?offset=${offset}&limit=100000&archive=${archived}`,
            );
            for (const p of res.points)
              out.push({
                runId: run.id,
                key: p.key,
                step: p.step,
                timestamp: p.timestamp,
                value: p.value === null ? null : Number(p.value),
                attempt: p.attempt ?? run.attempt ?? 1,
                archived,
              });
            offset += res.points.length;
            if (!res.more) break;
          }
        }
      }
      return out;
    },
    // the server's SQL endpoint speaks its own placeholders
    sql: (text, params = []) => {
      let n = 0;
      return session.query(pg ? text.replace(/\?/g, () => `$${++n}`) : text, params);
    },
  };
}

export function sourceOf(session: Session): Source {
  return session.store instanceof RemoteStore ? remoteSource(session) : directSource(session);
}
