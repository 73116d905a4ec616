import { randomUUID } from 'node:crypto';
import type { ArtifactContext, StoredFile } from '../artifacts/context.ts';
import { LockstepError } from '../errors.ts';
import type { Driver } from '../store/driver.ts';
import type { Detected } from './detect.ts';
import { checkAlias, checkName, setAlias, setTag } from './registry-rows.ts';
import type { RegisterVersionOptions } from './registry-types.ts';

// The registry's writes for ModelRegistry: a new version, and changes to a model as
// a whole or to a version's description and stage; each is one transaction.

/** Creates a model with no versions yet. */
export async function createModel(
  db: Driver,
  name: string,
  options: { description?: string | null; tags?: Record<string, string> },
): Promise<void> {
  checkName(name);
  const now = db.dialect.toParam('date', new Date());
  await db.transaction(async (tx) => {
    const [known] = await tx.all('SELECT name FROM registered_models WHERE name = ?', [name]);
    if (known)
      throw new LockstepError('E_CONFLICT', `a registered model named "${name}" already exists`, { details: { name } });
    await tx.run('INSERT INTO registered_models (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)', [
      name,
      options.description ?? null,
      now,
      now,
    ]);
    for (const [k, v] of Object.entries(options.tags ?? {})) await setTag(tx, name, 0, k, v);
  });
}

export async function describeModel(db: Driver, name: string, description: string | null): Promise<void> {
  await db.run('UPDATE registered_models SET description = ?, updated_at = ? WHERE name = ?', [
    description,
    db.dialect.toParam('date', new Date()),
    name,
  ]);
}

/** Renames a model: its versions, aliases and tags follow. */
export async function renameModel(db: Driver, name: string, newName: string): Promise<void> {
  checkName(newName);
  await db.transaction(async (tx) => {
    const [taken] = await tx.all('SELECT name FROM registered_models WHERE name = ?', [newName]);
    if (taken)
      throw new LockstepError('E_CONFLICT', `a registered model named "${newName}" already exists`, {
        details: { name: newName },
      });
    await tx.run('UPDATE registered_models SET name = ?, updated_at = ? WHERE name = ?', [
      newName,
      tx.dialect.toParam('date', new Date()),
      name,
    ]);
    for (const table of ['model_versions', 'model_aliases', 'model_tags'])
      await tx.run(`UPDATE ${table} SET model = ? WHERE model = ?`, [newName, name]);
  });
}

/** Deletes a model and all its versions, aliases and tags; gc frees the files nothing else uses. */
export async function deleteModel(db: Driver, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run('DELETE FROM stored_files WHERE owner IN (SELECT id FROM model_versions WHERE model = ?)', [name]);
    for (const table of ['model_versions', 'model_aliases', 'model_tags'])
      await tx.run(`DELETE FROM ${table} WHERE model = ?`, [name]);
    await tx.run('DELETE FROM registered_models WHERE name = ?', [name]);
  });
}

/**
 * Changes a version's description or stage. With `archiveOthers`, the other
 * versions in the new stage move to `Archived` (MLflow's transition).
 */
export async function updateVersion(
  db: Driver,
  name: string,
  version: number,
  change: { description?: string | null; stage?: string; archiveOthers?: boolean },
): Promise<void> {
  const now = db.dialect.toParam('date', new Date());
  await db.transaction(async (tx) => {
    if (change.description !== undefined)
      await tx.run('UPDATE model_versions SET description = ?, updated_at = ? WHERE model = ? AND version = ?', [
        change.description,
        now,
        name,
        version,
      ]);
    if (change.stage !== undefined) {
      if (change.archiveOthers && (change.stage === 'Staging' || change.stage === 'Production'))
        await tx.run(
          "UPDATE model_versions SET stage = 'Archived', updated_at = ? WHERE model = ? AND stage = ? AND version <> ?",
          [now, name, change.stage, version],
        );
      await tx.run('UPDATE model_versions SET stage = ?, updated_at = ? WHERE model = ? AND version = ?', [
        change.stage,
        now,
        name,
        version,
      ]);
    }
    await tx.run('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, name]);
  });
}

/** Deletes a tag of a version (or of the model, version 0); false when there was none. */
export async function deleteTag(db: Driver, name: string, version: number, key: string): Promise<boolean> {
  return (await db.run('DELETE FROM model_tags WHERE model = ? AND version = ? AND key = ?', [name, version, key])) > 0;
}

/** Inserts a version (and its model on first use) with its files, tags and aliases; returns its number. */
export async function insertVersion(
  ctx: ArtifactContext,
  name: string,
  files: StoredFile[],
  detected: Detected,
  options: RegisterVersionOptions & { source?: string | null },
): Promise<number> {
  for (const a of options.aliases ?? []) checkAlias(a);
  const metrics = options.metrics ?? {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new LockstepError('E_INPUT', `metric "${k}" must be a finite number`);
  }
  await ctx.init();
  const digest = files.length === 1 ? (files[0] as StoredFile).digest : ctx.treeDigest(files);
  const size = files.reduce((n, f) => n + f.size, 0);
  const d = ctx.driver.dialect;
  const now = d.toParam('date', new Date());
  const id = randomUUID();
  const version = await ctx.driver.transaction(async (tx) => {
    const [known] = await tx.all('SELECT name FROM registered_models WHERE name = ?', [name]);
    if (known) await tx.run('UPDATE registered_models SET updated_at = ? WHERE name = ?', [now, name]);
    else
      await tx.run('INSERT INTO registered_models (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)', [
        name,
        null,
        now,
        now,
      ]);
    const [row] = await tx.all<{ v: unknown }>('SELECT MAX(version) AS v FROM model_versions WHERE model = ?', [name]);
    const v = Number(row?.v ?? 0) + 1;
    await tx.run(
      `INSERT INTO model_versions (id, model, version, experiment_id, run_id, digest, size, algorithm, input_schema,
         labels, metrics, description, created_at, format, source, stage, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        name,
        v,
        options.experimentId ?? null,
        options.runId ?? null,
        digest,
        size,
        detected.algorithm,
        d.toParam('json', detected.inputSchema),
        d.toParam('json', detected.labels),
        d.toParam('json', metrics),
        options.description ?? null,
        now,
        detected.format,
        options.source ?? null,
        'None',
        now,
      ],
    );
    await ctx.writeFiles(tx, id, files);
    for (const [k, val] of Object.entries(options.tags ?? {})) await setTag(tx, name, v, k, val);
    for (const a of options.aliases ?? []) await setAlias(tx, name, a, v);
    return v;
  });
  return version;
}
