import { readTags } from '../../search/tags.ts';
import type { ExperimentRecord, RunRecord, Store } from '../../store/store.ts';
import { DELETED_TAG, mlflowExperimentId, mlflowState, RUN_NAME_TAG, toMlflowStatus, USER_TAG } from './ids.ts';
import { readLinks } from './inputs.ts';

/** A lockstep experiment as MLflow's Experiment message. */
export function experimentMessage(exp: ExperimentRecord) {
  const state = mlflowState(exp);
  return {
    experiment_id: mlflowExperimentId(exp),
    name: exp.name,
    artifact_location: state.artifactLocation,
    lifecycle_stage: state.lifecycleStage,
    last_update_time: exp.updatedAt.getTime(),
    creation_time: exp.createdAt.getTime(),
    // sorted: PostgreSQL's jsonb does not keep the order keys were set in
    tags: Object.entries(state.tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
}

/** MLflow params are strings; lockstep params keep their type, so they are printed here. */
function paramText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function runInfo(exp: ExperimentRecord, run: RunRecord, tags: Record<string, string>) {
  const expId = mlflowExperimentId(exp);
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: tags[RUN_NAME_TAG] ?? '',
    experiment_id: expId,
    user_id: tags[USER_TAG] ?? '',
    status: toMlflowStatus(run.status, run.error),
    start_time: run.startedAt?.getTime() ?? 0,
    ...(run.endedAt ? { end_time: run.endedAt.getTime() } : {}),
    artifact_uri: `${mlflowState(exp).artifactLocation}/${run.id}/artifacts`,
    lifecycle_stage: tags[DELETED_TAG] === 'true' ? 'deleted' : 'active',
  };
}

type LatestMetric = { key: string; value: number | string; timestamp: number; step: number };

/** Builds MLflow Run messages for several runs with two queries (tags, latest metrics). */
export async function runMessages(store: Store, exp: ExperimentRecord, runs: readonly RunRecord[]) {
  const ids = runs.map((r) => r.id);
  const tags = await readTags(store.driver, exp.id, ids);
  const links = await readLinks(store.driver, exp.id, ids);
  const metrics = new Map<string, LatestMetric[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await store.driver.all<{
      run_id: string;
      key: string;
      value: number | null;
      timestamp: number | string;
      step: number | string;
    }>(
      `SELECT run_id, key, value, "timestamp", step FROM (
        SELECT run_id, key, value, "timestamp", step,
          ROW_NUMBER() OVER (PARTITION BY run_id, key ORDER BY step DESC, "timestamp" DESC) AS rn
        FROM metrics WHERE experiment_id = ? AND run_id IN (${chunk.map(() => '?').join(', ')})
      ) x WHERE rn = 1 ORDER BY key`,
      [exp.id, ...chunk],
    );
    for (const r of rows) {
      const list = metrics.get(r.run_id) ?? [];
      metrics.set(r.run_id, list);
      list.push({ key: r.key, value: metricValue(r.value), timestamp: Number(r.timestamp), step: Number(r.step) });
    }
  }
  return runs.map((run) => {
    const t = tags.get(run.id) ?? {};
    return {
      info: runInfo(exp, run, t),
      data: {
        metrics: metrics.get(run.id) ?? [],
        params: Object.entries(run.params).map(([key, value]) => ({ key, value: paramText(value) })),
        tags: Object.entries(t)
          .filter(([k]) => !k.startsWith('lockstep.'))
          .map(([key, value]) => ({ key, value })),
      },
      inputs: links.get(run.id)?.inputs ?? { dataset_inputs: [], model_inputs: [] },
      outputs: links.get(run.id)?.outputs ?? { model_outputs: [] },
    };
  });
}

/** NaN is stored as NULL by SQLite; protobuf JSON spells it "NaN". */
export function metricValue(v: number | null): number | string {
  if (v === null) return 'NaN';
  return Number.isFinite(v) ? v : String(v);
}
