import type { Driver, Row } from '../store/driver.ts';
import type { ExperimentRecord } from '../store/store.ts';
import { writeFiles } from './files.ts';
import { rowsWhereIn, sourceHas, transcode } from './rows.ts';
import type { RunPlan } from './runs.ts';
import type { Source } from './source.ts';

const MODEL_COLUMNS = ['name', 'description', 'created_at', 'updated_at'];
const VERSION_COLUMNS = [
  'id',
  'model',
  'version',
  'experiment_id',
  'run_id',
  'digest',
  'size',
  'algorithm',
  'input_schema',
  'labels',
  'metrics',
  'description',
  'created_at',
  'format',
  'source',
  'stage',
  'updated_at',
];
const VERSION_KINDS = {
  version: 'integer',
  size: 'integer',
  input_schema: 'json',
  labels: 'json',
  metrics: 'json',
  created_at: 'date',
  updated_at: 'date',
} as const;
const DATASET_COLUMNS = [
  'id',
  'name',
  'version',
  'kind',
  'digest',
  'size',
  'file_count',
  'source',
  'schema',
  'created_at',
  'lock_id',
];

/** The registry entries an experiment's runs are part of, read before the copy's transaction. */
export interface RegistryRows {
  models: Row[];
  versions: Row[];
  aliases: Row[];
  tags: Row[];
  datasets: Row[];
  uses: Row[];
}

export async function readRegistry(source: Source, srcExp: ExperimentRecord, plan: RunPlan): Promise<RegistryRows> {
  const none: RegistryRows = { models: [], versions: [], aliases: [], tags: [], datasets: [], uses: [] };
  if (!source.direct || !(await sourceHas(source, 'model_versions'))) return none;
  const versions = (
    await source.sql(`SELECT ${VERSION_COLUMNS.join(', ')} FROM model_versions WHERE experiment_id = ?`, [srcExp.id])
  ).filter((v) => v.run_id === null || plan.ids.has(v.run_id as string));
  const names = [...new Set(versions.map((v) => v.model as string))];
  const uses = (
    await source.sql('SELECT run_id, dataset_id, used_at FROM dataset_uses WHERE experiment_id = ?', [srcExp.id])
  ).filter((u) => plan.ids.has(u.run_id as string));
  const datasetIds = [...new Set(uses.map((u) => u.dataset_id as string))];
  const hasLock = await source.sql('SELECT lock_id FROM datasets WHERE 1 = 0').then(
    () => true,
    () => false,
  );
  const dsSelect = `SELECT ${hasLock ? DATASET_COLUMNS.join(', ') : `${DATASET_COLUMNS.slice(0, -1).join(', ')}, NULL AS lock_id`} FROM datasets`;
  return {
    models: await rowsWhereIn(source, `SELECT ${MODEL_COLUMNS.join(', ')} FROM registered_models`, 'name', names),
    versions,
    aliases: await rowsWhereIn(source, 'SELECT model, alias, version, updated_at FROM model_aliases', 'model', names),
    tags: await rowsWhereIn(source, 'SELECT model, version, key, value FROM model_tags', 'model', names),
    datasets: await rowsWhereIn(source, dsSelect, 'id', datasetIds),
    uses,
  };
}

/** Every file owner the registry rows bring (model and dataset versions). */
export function registryOwners(rows: RegistryRows): string[] {
  return [...rows.versions.map((v) => v.id as string), ...rows.datasets.map((d) => d.id as string)];
}

/**
 * Model versions of the experiment's runs (their model, tags and aliases)
 * and the datasets its runs used. A version or dataset the destination has
 * (same id, or for a dataset the same name and content) is not copied
 * again; a version number the destination already gives another version
 * becomes the next free one, and an alias the destination already has stays
 * where it points. Notes say what was renumbered or left.
 */
export async function writeRegistry(
  tx: Driver,
  source: Source,
  dstExp: ExperimentRecord,
  plan: RunPlan,
  rows: RegistryRows,
  files: readonly Row[],
  notes: string[],
): Promise<{ models: number; datasets: number }> {
  const from = source.session.store.driver.dialect;
  const to = tx.dialect;
  const owners = new Map<string, string>();
  let models = 0;
  for (const m of rows.models) {
    const [have] = await tx.all('SELECT name FROM registered_models WHERE name = ?', [m.name]);
    if (!have)
      await tx.insert({
        table: 'registered_models',
        columns: MODEL_COLUMNS,
        rows: [transcode(from, to, m, MODEL_COLUMNS, { created_at: 'date', updated_at: 'date' })],
      });
  }
  const numbers = new Map<string, number>(); // "model\0source version" → destination version
  for (const v of rows.versions) {
    const srcVersion = Number(v.version);
    const [same] = await tx.all<{ version: number }>('SELECT version FROM model_versions WHERE id = ?', [v.id]);
    if (same) {
      numbers.set(`${v.model}\u0000${srcVersion}`, Number(same.version));
      continue;
    }
    const [taken] = await tx.all('SELECT id FROM model_versions WHERE model = ? AND version = ?', [
      v.model,
      srcVersion,
    ]);
    let version = srcVersion;
    if (taken) {
      const [max] = await tx.all<{ n: number | null }>('SELECT MAX(version) AS n FROM model_versions WHERE model = ?', [
        v.model,
      ]);
      version = Number(max?.n ?? 0) + 1;
      notes.push(`model ${v.model} v${srcVersion} is v${version} in the destination (v${srcVersion} was taken)`);
    }
    numbers.set(`${v.model}\u0000${srcVersion}`, version);
    const row = transcode(from, to, v, VERSION_COLUMNS, VERSION_KINDS);
    row[2] = version;
    row[3] = dstExp.id;
    row[4] = v.run_id === null ? null : plan.ids.get(v.run_id as string);
    await tx.insert({ table: 'model_versions', columns: VERSION_COLUMNS, rows: [row] });
    owners.set(v.id as string, v.id as string);
    models++;
  }
  const versionOf = (model: unknown, version: unknown) => numbers.get(`${model}\u0000${Number(version)}`);
  await tx.insert({
    table: 'model_tags',
    columns: ['model', 'version', 'key', 'value'],
    rows: rows.tags
      .filter((t) => Number(t.version) === 0 || versionOf(t.model, t.version) !== undefined)
      .map((t) => [t.model, Number(t.version) === 0 ? 0 : versionOf(t.model, t.version), t.key, t.value]),
    conflict: ['model', 'version', 'key'],
  });
  for (const a of rows.aliases) {
    const version = versionOf(a.model, a.version);
    if (version === undefined) continue;
    const [have] = await tx.all<{ version: number }>(
      'SELECT version FROM model_aliases WHERE model = ? AND alias = ?',
      [a.model, a.alias],
    );
    if (have) {
      if (Number(have.version) !== version)
        notes.push(
          `alias ${a.model}@${a.alias} stays on v${have.version} in the destination (v${version} in the copy)`,
        );
      continue;
    }
    await tx.insert({
      table: 'model_aliases',
      columns: ['model', 'alias', 'version', 'updated_at'],
      rows: [[a.model, a.alias, version, to.toParam('date', from.fromColumn('date', a.updated_at))]],
    });
  }
  const datasetIds = new Map<string, string>();
  let datasets = 0;
  for (const ds of rows.datasets) {
    const [byId] = await tx.all('SELECT id FROM datasets WHERE id = ?', [ds.id]);
    if (byId) {
      datasetIds.set(ds.id as string, ds.id as string);
      continue;
    }
    const [byName] = await tx.all<{ id: string; digest: string }>(
      'SELECT id, digest FROM datasets WHERE name = ? AND version = ?',
      [ds.name, ds.version],
    );
    if (byName && byName.digest === ds.digest) {
      datasetIds.set(ds.id as string, byName.id);
      continue;
    }
    const row = transcode(from, to, ds, DATASET_COLUMNS, {
      size: 'integer',
      file_count: 'integer',
      schema: 'json',
      created_at: 'date',
    });
    if (byName) {
      const [n] = await tx.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM datasets WHERE name = ?', [ds.name]);
      row[2] = `${ds.version}-copy${Number(n?.n ?? 0)}`;
      notes.push(`dataset ${ds.name} v${ds.version} differs from the destination's: copied as v${row[2]}`);
    }
    await tx.insert({ table: 'datasets', columns: DATASET_COLUMNS, rows: [row] });
    datasetIds.set(ds.id as string, ds.id as string);
    owners.set(ds.id as string, ds.id as string);
    datasets++;
  }
  await tx.insert({
    table: 'dataset_uses',
    columns: ['experiment_id', 'run_id', 'dataset_id', 'used_at'],
    rows: rows.uses
      .filter((u) => datasetIds.has(u.dataset_id as string))
      .map((u) => [
        dstExp.id,
        plan.ids.get(u.run_id as string),
        datasetIds.get(u.dataset_id as string),
        to.toParam('date', from.fromColumn('date', u.used_at)),
      ]),
    conflict: ['run_id', 'dataset_id'],
  });
  await writeFiles(tx, source, owners, files);
  return { models, datasets };
}
