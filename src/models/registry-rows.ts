import { LockstepError } from '../errors.ts';
import type { Driver, Row } from '../store/driver.ts';
import type { ModelFormat } from './detect.ts';
import type { ModelVersion } from './registry-types.ts';
import { ALIAS_NAME, MODEL_NAME } from './uri.ts';

// The registry's small writes and checks, shared by its methods (inside or outside a transaction).

export async function setAlias(tx: Driver, name: string, alias: string, version: number): Promise<void> {
  await tx.insert({
    table: 'model_aliases',
    columns: ['model', 'alias', 'version', 'updated_at'],
    rows: [[name, alias, version, tx.dialect.toParam('date', new Date())]],
    conflict: ['model', 'alias'],
  });
}

export async function setTag(tx: Driver, name: string, version: number, key: string, value: string): Promise<void> {
  if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
    throw new LockstepError('E_INPUT', `tag ${JSON.stringify(key)}: keys and values must be strings`);
  }
  await tx.insert({
    table: 'model_tags',
    columns: ['model', 'version', 'key', 'value'],
    rows: [[name, version, key, value]],
    conflict: ['model', 'version', 'key'],
  });
}

export function checkName(name: string): void {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new LockstepError(
      'E_INPUT',
      `model name "${name}" must be 1 to 256 characters without "/", "@" or control characters`,
      {
        details: { name },
      },
    );
  }
}

export function checkAlias(alias: string): void {
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias) || /^(\d+|[vV]\d+|latest)$/i.test(alias)) {
    throw new LockstepError(
      'E_INPUT',
      `alias "${alias}" must hold letters, digits, "_" or "-", and not be a number, "latest" or v<number> (those name versions)`,
      { details: { alias } },
    );
  }
}

export async function readAliases(db: Driver, name: string): Promise<Record<string, number>> {
  const rows = await db.all<{ alias: string; version: unknown }>(
    'SELECT alias, version FROM model_aliases WHERE model = ? ORDER BY alias',
    [name],
  );
  return Object.fromEntries(rows.map((r) => [r.alias, Number(r.version)]));
}

/** The tags of a version, or of the model itself (version 0). */
export async function readTags(db: Driver, name: string, version: number): Promise<Record<string, string>> {
  const rows = await db.all<{ key: string; value: string }>(
    'SELECT key, value FROM model_tags WHERE model = ? AND version = ? ORDER BY key',
    [name, version],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function decodeVersion(db: Driver, r: Row, aliases: Record<string, number>): Promise<ModelVersion> {
  const d = db.dialect;
  const version = Number(r.version);
  return {
    id: r.id as string,
    model: r.model as string,
    version,
    format: ((r.format as string | null) ?? 'lockstep') as ModelFormat,
    source: (r.source as string | null) ?? null,
    stage: (r.stage as string | null) ?? 'None',
    runId: (r.run_id as string | null) ?? null,
    experimentId: (r.experiment_id as string | null) ?? null,
    digest: r.digest as string,
    size: Number(r.size),
    algorithm: r.algorithm as string,
    inputSchema: d.fromColumn('json', r.input_schema) as ModelVersion['inputSchema'],
    labels: d.fromColumn('json', r.labels) as string[],
    metrics: d.fromColumn('json', r.metrics) as Record<string, number>,
    tags: await readTags(db, r.model as string, version),
    aliases: Object.entries(aliases)
      .filter(([, v]) => v === version)
      .map(([a]) => a),
    description: (r.description as string | null) ?? null,
    createdAt: d.fromColumn('date', r.created_at) as Date,
    updatedAt: d.fromColumn('date', r.updated_at ?? r.created_at) as Date,
  };
}
