import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { toCell, toDisplay } from '../store/display.ts';

export type OutputMode = 'table' | 'csv' | 'json';

/** `--json` and `--csv` win; otherwise an aligned table on a terminal and CSV through a pipe. */
export function outputMode(
  opts: { json?: boolean; csv?: boolean },
  stream: NodeJS.WriteStream = process.stdout,
): OutputMode {
  if (opts.json) return 'json';
  if (opts.csv) return 'csv';
  return stream.isTTY ? 'table' : 'csv';
}

/** Prints rows in the chosen format; values may be any stored type. */
export function printRows(rows: Record<string, unknown>[], columns: string[], mode: OutputMode): void {
  process.stdout.write(formatRows(rows, columns, mode));
}

export function formatRows(rows: Record<string, unknown>[], columns: string[], mode: OutputMode): string {
  if (mode === 'json') {
    const out = rows.map((r) => Object.fromEntries(columns.map((c) => [c, toDisplay(r[c])])));
    return `${JSON.stringify(out, null, 2)}\n`;
  }
  if (mode === 'csv') {
    const records = rows.map((r) => columns.map((c) => csvCell(r[c])));
    return stringify([columns, ...records]);
  }
  const table = new Table({
    head: columns,
    style: { head: [], border: [], compact: true },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '─',
      'mid-mid': '┼',
      right: '',
      'right-mid': '',
      middle: '│',
    },
  });
  for (const r of rows) table.push(columns.map((c) => toCell(r[c])));
  return `${table.toString()}\n${rows.length} row${rows.length === 1 ? '' : 's'}\n`;
}

function csvCell(v: unknown): string {
  const d = toDisplay(v);
  if (d === null) return '';
  return typeof d === 'object' ? JSON.stringify(d) : String(d);
}
