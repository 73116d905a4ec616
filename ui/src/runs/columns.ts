// Which columns the runs table can show, and which it shows by default.
import type { ColumnMeta, ExperimentDetail } from '../api/types.ts';

export interface TableColumn {
  /** The name the API knows the column by. */
  name: string;
  /** Header text: the original key. */
  label: string;
  group: string;
  /** Numbers are right-aligned, header included. */
  numeric?: boolean;
}

/** Kinds that hold structures (arrays, objects): too wide for a cell by default. */
const COMPLEX = new Set(['json', 'encoded', 'binary', 'blob', 'bytes']);

export function availableColumns(exp: ExperimentDetail): TableColumn[] {
  const cols: TableColumn[] = [
    { name: 'started_at', label: 'started', group: 'attributes' },
    { name: 'ended_at', label: 'ended', group: 'attributes' },
  ];
  for (const c of exp.columns) {
    cols.push({ name: c.name, label: c.key, group: groupOf(c), numeric: c.kind === 'number' || c.kind === 'bigint' });
  }
  for (const k of exp.metricKeys ?? []) {
    cols.push({ name: `metrics.${k}`, label: k, group: 'metrics (last value)', numeric: true });
  }
  return cols;
}

function groupOf(c: ColumnMeta): string {
  return c.role === 'param' ? 'params' : c.role === 'field' ? 'fields' : c.role;
}

/** Shown until the user chooses: params, the last value of each metric, then scalar fields, 16 at most. */
export function defaultColumns(exp: ExperimentDetail): string[] {
  const params = exp.columns.filter((c) => c.role === 'param').map((c) => c.name);
  const metrics = (exp.metricKeys ?? []).map((k) => `metrics.${k}`);
  const fields = exp.columns.filter((c) => c.role === 'field' && !COMPLEX.has(c.kind ?? '')).map((c) => c.name);
  return [...params.slice(0, 8), ...metrics.slice(0, 8), ...fields].slice(0, 16);
}
