import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isLockstepError, LockstepError } from '../errors.ts';
import { openDriver } from '../store/open.ts';
import type { BlobStore } from './blobstore.ts';

/**
 * Blob stores are shared: two SQLite files in one directory share
 * `.lockstep/blobs` by default, and `LOCKSTEP_BLOBS` or an rclone remote can
 * serve many databases. Each database that uses a store records itself there
 * (`databases/<id>.json`), and gc on any of them counts the references of
 * all of them before removing a blob.
 */

/** A database as a store records it: SQLite by absolute path, PostgreSQL by URL without its password. */
export function databaseRecord(dbUrl: string): { id: string; url: string } | undefined {
  let url: string;
  if (/^postgres(ql)?:\/\//i.test(dbUrl)) {
    const u = new URL(dbUrl);
    u.password = '';
    url = u.href;
  } else {
    const path = dbUrl.startsWith('sqlite:') ? dbUrl.slice('sqlite:'.length).replace(/^\/\//, '') : dbUrl;
    if (path === ':memory:' || path === '') return undefined; // its references end with the process
    url = resolve(path);
  }
  return { id: createHash('sha256').update(url).digest('hex').slice(0, 32), url };
}

/** Records that the database uses the store (once; a no-op when it already did). */
export async function recordUse(store: BlobStore, dbUrl: string): Promise<void> {
  const rec = databaseRecord(dbUrl);
  if (rec) await store.addUser(rec.id, `${JSON.stringify({ url: rec.url, since: new Date().toISOString() })}\n`);
}

/**
 * The digests every other database recorded in the store references. A
 * SQLite file that no longer exists is forgotten; a database that cannot be
 * read stops gc (nothing is removed on a guess).
 */
export async function otherReferences(store: BlobStore, dbUrl: string): Promise<Map<string, string>> {
  const self = databaseRecord(dbUrl)?.id;
  const refs = new Map<string, string>();
  for (const [id, text] of await store.users()) {
    if (id === self) continue;
    let url: string;
    try {
      url = (JSON.parse(text) as { url: string }).url;
      if (typeof url !== 'string' || url === '') throw new Error('no url');
    } catch {
      throw new LockstepError(
        'E_CODEC',
        `the record ${store.location}/databases/${id}.json is not readable; fix or delete it, then run gc again`,
      );
    }
    const postgres = /^postgres(ql)?:\/\//i.test(url);
    const found = postgres || existsSync(url) ? await referencesOf(url, store.location) : null;
    if (found === null) {
      await store.removeUser(id); // the SQLite file or the PostgreSQL schema is gone, and its references with it
      continue;
    }
    for (const digest of found) refs.set(digest, url);
  }
  return refs;
}

/** The digests a database references; null when it is gone (its schema no longer exists). */
async function referencesOf(url: string, location: string): Promise<string[] | null> {
  let driver: Awaited<ReturnType<typeof openDriver>> | undefined;
  try {
    driver = await openDriver(url, { readonly: true });
    const rows = await driver.all<{ digest: string }>('SELECT DISTINCT digest FROM stored_files');
    return rows.map((r) => r.digest);
  } catch (e) {
    if (isLockstepError(e, 'E_NOT_FOUND')) return null;
    if (/no such table|does not exist/i.test((e as Error).message)) return [];
    throw new LockstepError(
      'E_UNAVAILABLE',
      `gc cannot read the references of ${url}, which shares the blob store ${location}: ${(e as Error).message}. ` +
        `If that database is gone, delete its record in ${location}/databases/ and run gc again`,
      { cause: e },
    );
  } finally {
    await driver?.close();
  }
}
