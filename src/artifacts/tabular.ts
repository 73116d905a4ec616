import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LockstepError } from '../errors.ts';

/** A table read from CSV, JSON (an array of objects) or JSON Lines. */
export interface Table {
  format: 'csv' | 'json' | 'jsonl';
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The format a file name says it holds, or null for anything else. */
export function tableFormat(path: string): Table['format'] | null {
  const ext = extname(path).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : null;
}

export async function readTable(path: string): Promise<Table> {
  const format = tableFormat(path);
  if (!format) throw new LockstepError('E_INPUT', `${path}: expected a .csv, .json or .jsonl file`);
  return parseTable(await readFile(path, 'utf8'), format, path);
}

export function parseTable(text: string, format: Table['format'], where: string): Table {
  if (format === 'csv') return parseCsv(text);
  let rows: unknown;
  try {
    rows =
      format === 'json'
        ? JSON.parse(text)
        : text
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l));
  } catch (e) {
    throw new LockstepError('E_INPUT', `${where}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
    throw new LockstepError('E_INPUT', `${where}: expected an array of objects (one per row)`);
  }
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows as Record<string, unknown>[]) {
    for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k) && columns.push(k);
  }
  return { format, columns, rows: rows as Record<string, unknown>[] };
}

/**
 * RFC 4180 CSV with a header line: quoted fields, doubled quotes, CRLF.
 * Cells that read as numbers become numbers, `true`/`false` booleans, empty
 * cells null.
 */
export function parseCsv(text: string): Table {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
    } else field += c;
  }
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  const [header = [], ...body] = records;
  const rows = body.map((cells) => {
    const row: Record<string, unknown> = {};
    header.forEach((h, j) => {
      row[h] = cell(cells[j] ?? '');
    });
    return row;
  });
  return { format: 'csv', columns: header, rows };
}

function cell(s: string): unknown {
  if (s === '') return null;
  if (s === 'true' || s === 'false') return s === 'true';
  const n = Number(s);
  return Number.isFinite(n) && /^\s*[-+]?(\d|\.\d)/.test(s) ? n : s;
}
