import { isLockstepError } from '../../errors.ts';
import type { ModelRegistry, ModelVersion, RegisteredModel } from '../../models/registry.ts';
import { HttpError } from '../errors.ts';
import { VERSION_ROOT } from './artifact-paths.ts';
import { invalid, notFound } from './ids.ts';

/** Where MLflow clients download a version from: its own files through the proxy, or its outside source. */
export function downloadUri(v: ModelVersion, hasFiles: boolean): string {
  return hasFiles ? `mlflow-artifacts:/${VERSION_ROOT}/${v.id}` : (v.source ?? '');
}

/** MLflow's ModelVersion message. */
export function versionMessage(v: ModelVersion) {
  return {
    name: v.model,
    version: String(v.version),
    creation_timestamp: v.createdAt.getTime(),
    last_updated_timestamp: v.updatedAt.getTime(),
    current_stage: v.stage,
    description: v.description ?? '',
    source: v.source ?? `mlflow-artifacts:/${VERSION_ROOT}/${v.id}`,
    ...(v.runId ? { run_id: v.runId } : {}),
    status: 'READY',
    tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })),
    aliases: v.aliases,
  };
}

/** The newest version in each stage, as MLflow's `latest_versions`. */
export function latestPerStage(versions: readonly ModelVersion[], stages?: readonly string[]): ModelVersion[] {
  const wanted = stages?.length ? new Set(stages.map(canonicalStage)) : null;
  const best = new Map<string, ModelVersion>();
  for (const v of versions) {
    if (wanted && !wanted.has(v.stage)) continue;
    const seen = best.get(v.stage);
    if (!seen || seen.version < v.version) best.set(v.stage, v);
  }
  return [...best.values()].sort((a, b) => a.version - b.version);
}

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

/** `production` → `Production`; an unknown stage is refused in MLflow's words. */
export function canonicalStage(stage: string): string {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

/** MLflow's RegisteredModel message. */
export async function modelMessage(registry: ModelRegistry, m: RegisteredModel) {
  const versions = m.versions ? await registry.versions(m.name) : [];
  return {
    name: m.name,
    creation_timestamp: m.createdAt.getTime(),
    last_updated_timestamp: m.updatedAt.getTime(),
    description: m.description ?? '',
    latest_versions: latestPerStage(versions).map(versionMessage),
    tags: Object.entries(m.tags).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/** A version number as MLflow sends it (a string), checked as MLflow checks it. */
export function versionNumber(v: string | number): number {
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw invalid(`Parameter 'version' must be an integer, got '${v}'.`);
  return n;
}

/**
 * Runs a registry call and says its failures in MLflow's words: a missing
 * model, version or alias, and names the registry refuses.
 */
export async function inMlflowWords<T>(name: string, version: number | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    // the registry's errors say in `details` what was missing
    const details = (isLockstepError(e) ? e.details : undefined) as
      | { name?: string; version?: number; alias?: string }
      | undefined;
    if (isLockstepError(e, 'E_NOT_FOUND')) {
      if (details?.alias !== undefined) throw invalid(`Registered model alias ${details.alias} not found.`);
      if (details?.version !== undefined)
        throw notFound(`Model Version (name=${name}, version=${version ?? details.version}) not found`);
      throw notFound(`Registered Model with name=${details?.name ?? name} not found`);
    }
    if (isLockstepError(e, 'E_CONFLICT'))
      throw new HttpError(400, 'E_CONFLICT', `Registered Model (name=${details?.name ?? name}) already exists.`, {
        mlflowCode: 'RESOURCE_ALREADY_EXISTS',
      });
    if (isLockstepError(e, 'E_INPUT')) throw invalid(e.message);
    throw e;
  }
}
