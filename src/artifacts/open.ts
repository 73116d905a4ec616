import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BlobStore } from './blobstore.ts';
import { LocalBlobStore } from './local.ts';
import { RcloneBlobStore } from './rclone.ts';

/** Where a session keeps blobs and its local dataset cache. */
export interface ArtifactLocations {
  /** A directory, or an rclone remote such as `s3:bucket/lockstep` or `:local:/srv/blobs`. */
  blobs: string;
  /** A local directory where datasets are fetched once. */
  cache: string;
}

/**
 * The default places for a database URL: next to a SQLite file
 * (`<db dir>/.lockstep/blobs`), else under the working directory.
 * `LOCKSTEP_BLOBS` and `LOCKSTEP_CACHE` override them.
 */
export function defaultLocations(dbUrl: string, env: NodeJS.ProcessEnv = process.env): ArtifactLocations {
  const base = join(baseDir(dbUrl), '.lockstep');
  const blobs = env.LOCKSTEP_BLOBS || join(base, 'blobs');
  const cache = env.LOCKSTEP_CACHE || (isRemote(blobs) ? join(homedir(), '.cache', 'lockstep') : join(base, 'cache'));
  return { blobs, cache };
}

function baseDir(dbUrl: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dbUrl) || dbUrl === ':memory:' || dbUrl === 'sqlite::memory:')
    return process.cwd();
  const path = dbUrl.startsWith('sqlite:') ? dbUrl.slice('sqlite:'.length).replace(/^\/\//, '') : dbUrl;
  return dirname(resolve(path));
}

/** `remote:path` (rclone's syntax) as opposed to a local path; `C:\…` is a local path. */
export function isRemote(location: string): boolean {
  return /^:?[A-Za-z0-9_.-]{2,}:/.test(location) || location.startsWith(':local:');
}

export function openBlobStore(location: string): BlobStore {
  return isRemote(location) ? new RcloneBlobStore(location) : new LocalBlobStore(resolve(location));
}
