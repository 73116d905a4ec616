import { LRUCache } from 'lru-cache';
import { LockstepError } from '../../errors.ts';
import { readTags } from '../../search/tags.ts';
import { quoteId } from '../../store/driver.ts';
import type { ExperimentRecord, RunStatus, Store } from '../../store/store.ts';
import { HttpError } from '../errors.ts';

/**
 * MLflow ids. An MLflow experiment id is the lockstep experiment id (a UUID),
 * except "0", MLflow's default experiment, which is the lockstep experiment
 * named "Default" (created when first used). An MLflow run id is the lockstep
 * run id.
 */
export const DEFAULT_ID = '0';
export const DEFAULT_NAME = 'Default';

export function mlflowExperimentId(exp: ExperimentRecord): string {
  return exp.name === DEFAULT_NAME ? DEFAULT_ID : exp.id;
}

/** MLflow state kept with a lockstep experiment, in its `fields.mlflow`. */
export interface MlflowExperimentState {
  lifecycleStage: 'active' | 'deleted';
  tags: Record<string, string>;
  artifactLocation: string;
}

export function mlflowState(exp: ExperimentRecord): MlflowExperimentState {
  const s = (exp.fields.mlflow ?? {}) as Partial<MlflowExperimentState>;
  return {
    lifecycleStage: s.lifecycleStage ?? 'active',
    tags: s.tags ?? {},
    artifactLocation: s.artifactLocation ?? `mlflow-artifacts:/${mlflowExperimentId(exp)}`,
  };
}

export async function saveMlflowState(
  store: Store,
  exp: ExperimentRecord,
  state: MlflowExperimentState,
): Promise<void> {
  await store.updateExperiment(exp, { fields: { ...exp.fields, mlflow: { ...state } } });
}

export function notFound(message: string): HttpError {
  return new HttpError(404, 'E_NOT_FOUND', message, { mlflowCode: 'RESOURCE_DOES_NOT_EXIST' });
}

export function invalid(message: string): HttpError {
  return new HttpError(400, 'E_INPUT', message, { mlflowCode: 'INVALID_PARAMETER_VALUE' });
}

/**
 * The experiment of an MLflow id. MLflow's default experiment is created on
 * the first write to it; a read before that sees an empty, unsaved one (a
 * read-only token must not create anything).
 */
/** MLflow refuses to change a deleted experiment or add runs to it. */
export function requireActiveExperiment(exp: ExperimentRecord): ExperimentRecord {
  if (mlflowState(exp).lifecycleStage !== 'active')
    throw invalid(`The experiment ${mlflowExperimentId(exp)} must be in the 'active' state. Current state is deleted.`);
  return exp;
}

export async function experimentById(
  store: Store,
  id: string,
  mode: 'read' | 'write' = 'write',
): Promise<ExperimentRecord> {
  if (id === DEFAULT_ID) {
    const found = await store.getExperiment(DEFAULT_NAME);
    if (found) return found;
    if (mode === 'read') return virtualDefault();
    try {
      return await store.createExperiment(DEFAULT_NAME, 'MLflow default experiment');
    } catch (e) {
      // another request created it first
      if (e instanceof LockstepError && e.code === 'E_CONFLICT') return store.requireExperiment(DEFAULT_NAME);
      throw e;
    }
  }
  const rows = await store.driver.all<{ name: string }>('SELECT name FROM experiments WHERE id = ?', [id]);
  const name = rows[0]?.name;
  if (!name) throw notFound(`No Experiment with id=${id} exists`);
  return store.requireExperiment(name);
}

function virtualDefault(): ExperimentRecord {
  const epoch = new Date(0);
  return {
    id: '',
    name: DEFAULT_NAME,
    tableName: '',
    description: null,
    createdAt: epoch,
    updatedAt: epoch,
    fields: {},
    meta: { tool: '', codec: 0, columns: {} },
  };
}

/** True for the default experiment before anything was written to it. */
export function isVirtual(exp: ExperimentRecord): boolean {
  return exp.id === '';
}

/**
 * MLflow names runs by id alone; lockstep keeps them in one table per
 * experiment. The experiment of a run is cached, and found by probing each
 * experiment table's primary key on a miss.
 */
export class RunLocator {
  private readonly cache = new LRUCache<string, string>({ max: 100_000 });
  constructor(private readonly store: Store) {}

  remember(runId: string, exp: ExperimentRecord): void {
    this.cache.set(runId, exp.name);
  }

  async locate(runId: string | undefined): Promise<ExperimentRecord> {
    if (!runId) throw invalid("Missing value for required parameter 'run_id'");
    const cached = this.cache.get(runId);
    if (cached) {
      const exp = await this.store.getExperiment(cached);
      if (exp && (await this.has(exp, runId))) return exp;
      this.cache.delete(runId);
    }
    const all = await this.store.driver.all<{ name: string; table_name: string }>(
      'SELECT name, table_name FROM experiments ORDER BY created_at DESC',
    );
    for (const e of all) {
      if (await this.has({ tableName: e.table_name }, runId)) {
        this.cache.set(runId, e.name);
        return this.store.requireExperiment(e.name);
      }
    }
    throw notFound(`Run '${runId}' not found`);
  }

  /** The experiment of a run that may be written to: MLflow refuses every write to a deleted run. */
  async locateActive(runId: string | undefined): Promise<ExperimentRecord> {
    const exp = await this.locate(runId);
    const tags = (await readTags(this.store.driver, exp.id, [runId as string])).get(runId as string) ?? {};
    if (tags[DELETED_TAG] === 'true')
      throw invalid(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
    return exp;
  }

  private async has(exp: { tableName: string }, runId: string): Promise<boolean> {
    const rows = await this.store.driver.all(`SELECT 1 AS one FROM ${quoteId(exp.tableName)} WHERE run_id = ?`, [
      runId,
    ]);
    return rows.length > 0;
  }
}

const TO_LOCKSTEP: Record<string, RunStatus> = {
  RUNNING: 'running',
  SCHEDULED: 'pending',
  FINISHED: 'done',
  FAILED: 'failed',
  KILLED: 'failed',
};

export function toLockstepStatus(s: string): RunStatus {
  return TO_LOCKSTEP[s] ?? 'running';
}

/** KILLED is kept as a failed run whose error says KILLED. */
export function toMlflowStatus(s: RunStatus, error: string | null): string {
  switch (s) {
    case 'running':
      return 'RUNNING';
    case 'pending':
      return 'SCHEDULED';
    case 'done':
      return 'FINISHED';
    default:
      return error === 'KILLED' ? 'KILLED' : 'FAILED';
  }
}

/** Tags lockstep keeps for itself: never shown to MLflow clients. */
export const DELETED_TAG = 'lockstep.deleted';
export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';
