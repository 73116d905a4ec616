import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readTable, type Table, tableFormat } from '../artifacts/tabular.ts';
import { LockstepError } from '../errors.ts';

/** The table of a fetched dataset: the file itself, or the first CSV/JSON file of a directory. */
export async function datasetTable(path: string, name: string): Promise<Table> {
  if ((await stat(path)).isFile()) return readTable(path);
  const files = (await readdir(path, { recursive: true }))
    .map(String)
    .filter((f) => tableFormat(f))
    .sort();
  const first = files[0];
  if (!first)
    throw new LockstepError('E_INPUT', `dataset "${name}" holds no .csv, .json or .jsonl file to read rows from`);
  return readTable(join(path, first));
}
