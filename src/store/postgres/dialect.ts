import { decodeValue, encodeValue } from '../codec.ts';
import type { Dialect } from '../driver.ts';
import type { Kind } from '../kinds.ts';
import { postgresSeriesBuckets } from './series.ts';

const TYPES: Record<Kind, string> = {
  boolean: 'BOOLEAN',
  number: 'DOUBLE PRECISION',
  bigint: 'BIGINT',
  string: 'TEXT',
  date: 'TIMESTAMPTZ',
  json: 'JSONB',
  binary: 'BYTEA',
};

/** PostgreSQL: native booleans, timestamptz, jsonb (queryable with ->, ->>, @>) and bytea. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  columnType: (kind) => TYPES[kind],
  toParam(kind, v) {
    if (v === null || v === undefined) return null;
    switch (kind) {
      case 'bigint':
        return (v as bigint).toString();
      case 'date':
        return typeof v === 'number' ? new Date(v) : v;
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
      case 'bigint':
        return BigInt(raw as string);
      case 'date':
        return raw instanceof Date ? raw : new Date(raw as string);
      case 'binary':
        return decodeValue(raw as Buffer);
      default:
        // jsonb arrives parsed; numbers, strings and booleans arrive typed
        return raw;
    }
  },
  selectExpr: (col, kind) => (kind === 'bigint' ? `CAST(${col} AS TEXT) AS ${col}` : col),
  forUpdate: ' FOR UPDATE',
  seriesBuckets: postgresSeriesBuckets,
};
