import type { Session } from '../session.ts';
import type { Driver, Row } from '../store/driver.ts';
import type { ExperimentRecord } from '../store/store.ts';
import { CHUNK, marks, rowsWhereIn, sourceHas, transcode } from './rows.ts';
import type { RunPlan } from './runs.ts';
import type { Source } from './source.ts';

const ARTIFACT_COLUMNS = [
  'id',
  'experiment_id',
  'run_id',
  'name',
  'kind',
  'digest',
  'size',
  'file_count',
  'created_at',
];
const FILE_COLUMNS = ['owner', 'path', 'digest', 'size'];

/** The artifacts of an experiment's runs and the files of any owners, read before the copy's transaction. */
export interface FileRows {
  artifacts: Row[];
  files: Row[];
}

export async function readArtifacts(source: Source, srcExp: ExperimentRecord, plan: RunPlan): Promise<FileRows> {
  if (!source.direct || !(await sourceHas(source, 'artifacts'))) return { artifacts: [], files: [] };
  const artifacts = (
    await source.sql(`SELECT ${ARTIFACT_COLUMNS.join(', ')} FROM artifacts WHERE experiment_id = ?`, [srcExp.id])
  ).filter((a) => plan.ids.has(a.run_id as string));
  return {
    artifacts,
    files: await readFiles(
      source,
      artifacts.map((a) => a.id as string),
    ),
  };
}

/** The stored files of some owners (artifacts, dataset versions, model versions). */
export function readFiles(source: Source, owners: readonly string[]): Promise<Row[]> {
  return rowsWhereIn(source, `SELECT ${FILE_COLUMNS.join(', ')} FROM stored_files`, 'owner', owners);
}

/**
 * Puts every blob the rows reference into the destination's blob store
 * (nothing moves when both share one store). Done before the rows are
 * written: a row never points at a blob that is not there.
 */
export async function copyBlobs(src: Session, dst: Session, files: readonly Row[]): Promise<number> {
  let copied = 0;
  for (const digest of new Set(files.map((f) => f.digest as string)))
    if (await dst.artifactHub.ctx.copyBlobFrom(src.artifactHub.ctx, digest)) copied++;
  return copied;
}

/** Replaces the files of these owners in the destination with the source's. */
export async function writeFiles(
  tx: Driver,
  source: Source,
  owners: ReadonlyMap<string, string>,
  files: readonly Row[],
) {
  const ids = [...new Set(owners.values())];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    await tx.run(`DELETE FROM stored_files WHERE owner IN (${marks(chunk.length)})`, chunk);
  }
  const from = source.session.store.driver.dialect;
  await tx.insert({
    table: 'stored_files',
    columns: FILE_COLUMNS,
    rows: files
      .filter((f) => owners.has(f.owner as string))
      .map((f) => {
        const row = transcode(from, tx.dialect, f, FILE_COLUMNS, { size: 'integer' });
        row[0] = owners.get(f.owner as string);
        return row;
      }),
  });
}

/**
 * The artifacts of the copied runs: a destination artifact of the same run
 * and name is replaced (its files with it), then rows and files are written.
 */
export async function writeArtifacts(
  tx: Driver,
  source: Source,
  dstExp: ExperimentRecord,
  plan: RunPlan,
  rows: FileRows,
): Promise<number> {
  if (rows.artifacts.length === 0) return 0;
  const from = source.session.store.driver.dialect;
  const to = tx.dialect;
  for (const a of rows.artifacts) {
    const runId = plan.ids.get(a.run_id as string);
    const clash = await tx.all<{ id: string }>('SELECT id FROM artifacts WHERE run_id = ? AND name = ? AND id <> ?', [
      runId,
      a.name,
      a.id,
    ]);
    for (const c of clash) {
      await tx.run('DELETE FROM stored_files WHERE owner = ?', [c.id]);
      await tx.run('DELETE FROM artifacts WHERE id = ?', [c.id]);
    }
  }
  await tx.insert({
    table: 'artifacts',
    columns: ARTIFACT_COLUMNS,
    rows: rows.artifacts.map((a) => {
      const row = transcode(from, to, a, ARTIFACT_COLUMNS, {
        size: 'integer',
        file_count: 'integer',
        created_at: 'date',
      });
      row[1] = dstExp.id;
      row[2] = plan.ids.get(a.run_id as string);
      return row;
    }),
    conflict: ['id'],
  });
  const owners = new Map(rows.artifacts.map((a) => [a.id as string, a.id as string]));
  await writeFiles(tx, source, owners, rows.files);
  return rows.artifacts.length;
}
