import { decodeValue, encodeValue } from '../codec.ts';
import type { Dialect } from '../driver.ts';
import type { Kind } from '../kinds.ts';
import { sqliteSeriesBuckets } from './series.ts';

const TYPES: Record<Kind, string> = {
  boolean: 'INTEGER',
  number: 'REAL',
  bigint: 'INTEGER',
  string: 'TEXT',
  date: 'TEXT',
  json: 'TEXT',
  binary: 'BLOB',
};

let lastMs = Number.NaN;
let lastIso = '';
/** toISOString of a date or a time in ms, remembering the last answer: runs that finish in the same millisecond share it. */
function isoString(d: Date | number): string {
  const ms = typeof d === 'number' ? d : d.getTime();
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** SQLite: booleans as 0/1, dates as ISO-8601 text, JSON as text (json_extract reads it). */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  columnType: (kind) => TYPES[kind],
  toParam(kind, v) {
    if (v === null || v === undefined) return null;
    switch (kind) {
      case 'boolean':
        return v ? 1 : 0;
      case 'date':
        return isoString(v as Date | number);
      case 'json':
        return JSON.stringify(v);
      case 'binary':
        return encodeValue(v);
      default:
        return v;
    }
  },
  fromColumn(kind, raw) {
    if (raw === null || raw === undefined) return null;
    switch (kind) {
      case 'boolean':
        return raw === 1 || raw === 1n;
      case 'bigint':
        return BigInt(raw as string);
      case 'date':
        return new Date(raw as string);
      case 'json':
        return JSON.parse(raw as string);
      case 'binary':
        return decodeValue(raw as Buffer);
      default:
        return raw;
    }
  },
  selectExpr: (col, kind) => (kind === 'bigint' ? `CAST(${col} AS TEXT) AS ${col}` : col),
  forUpdate: '',
  seriesBuckets: sqliteSeriesBuckets,
};
