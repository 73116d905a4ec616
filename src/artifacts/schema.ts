import { LockstepError } from '../errors.ts';
import { parseTable, type Table, tableFormat } from './tabular.ts';

export type ColumnType = 'integer' | 'number' | 'string' | 'boolean' | 'object' | 'array' | 'null' | 'mixed';

/** A table's inferred schema: its format, row count and each column's type. */
export interface TableSchema {
  format: Table['format'];
  rows: number;
  columns: { name: string; type: ColumnType; nullable: boolean }[];
}

/** A dataset's schema: one table schema per CSV/JSON file (the key "" for a single-file dataset). */
export type DatasetSchema = Record<string, TableSchema>;

/** Infers column types from every row of a CSV or JSON text. */
export function inferSchema(text: string, fileName: string): TableSchema | null {
  const format = tableFormat(fileName);
  if (!format) return null;
  let table: Table;
  try {
    table = parseTable(text, format, fileName);
  } catch (e) {
    if (e instanceof LockstepError) return null; // not tabular: the dataset is still stored, without a schema
    throw e;
  }
  const columns = table.columns.map((name) => {
    let type: ColumnType = 'null';
    let nullable = false;
    for (const row of table.rows) {
      const t = typeOf(row[name]);
      if (t === 'null') nullable = true;
      else type = merge(type, t);
    }
    return { name, type, nullable };
  });
  return { format, rows: table.rows.length, columns };
}

function typeOf(v: unknown): ColumnType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return Array.isArray(v) ? 'array' : 'object';
}

function merge(a: ColumnType, b: ColumnType): ColumnType {
  if (a === 'null' || a === b) return b;
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  return 'mixed';
}
