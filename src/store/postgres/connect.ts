import pg from 'pg';
import { normaliseInteger, quoteId } from '../driver.ts';

const INT8 = 20;

/** BIGINT columns come back as numbers when they fit, as bigints when they do not. */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (v: string) => normaliseInteger(BigInt(v))
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** What a `postgres://…?schema=NAME` URL means: a connection, its schema, and a location to print. */
export interface PgTarget {
  /** node-postgres settings (with the password: never print them). */
  config: pg.ClientConfig;
  schema: string | undefined;
  /** The URL with its password masked. */
  location: string;
}

/**
 * Parses a PostgreSQL URL; `?schema=NAME` becomes the connection's
 * search_path. `settings` are further server settings sent at connection
 * start (`-c name=value`), which outrank the role's and the database's.
 */
export function pgTarget(href: string, settings: Record<string, string | number> = {}): PgTarget {
  const url = new URL(href);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const safe = new URL(url.href);
  if (safe.password) safe.password = '***';
  const all: Record<string, string | number> = { ...(schema ? { search_path: quoteId(schema) } : {}), ...settings };
  const options = Object.entries(all)
    .map(([k, v]) => `-c ${k}=${String(v).replaceAll('\\', '\\\\').replaceAll(' ', '\\ ')}`)
    .join(' ');
  return {
    config: { connectionString: url.href, types: pgTypes, ...(options ? { options } : {}) },
    schema,
    location: safe.href,
  };
}
