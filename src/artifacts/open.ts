import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Driver } from '../store/driver.ts';
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

/**
 * Where a session's blobs are: the explicit option, else `LOCKSTEP_BLOBS`,
 * else the remote recorded in the database, else the local default. The
 * first session that names an rclone remote records it, so that everyone on
 * a shared PostgreSQL database finds the same blobs without configuration;
 * local directories are never recorded (they mean nothing on another machine).
 */
export async function resolveLocations(
  driver: Driver,
  dbUrl: string,
  options: Partial<ArtifactLocations> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArtifactLocations> {
  const defaults = defaultLocations(dbUrl, { ...env, LOCKSTEP_BLOBS: '' });
  const [recorded] = await driver.all<{ value: string }>('SELECT value FROM artifact_settings WHERE key = ?', [
    'blobs.remote',
  ]);
  const blobs = options.blobs || env.LOCKSTEP_BLOBS || recorded?.value || defaults.blobs;
  if (!recorded && isRemote(blobs)) {
    await driver.insert({
      table: 'artifact_settings',
      columns: ['key', 'value'],
      rows: [['blobs.remote', blobs]],
      conflict: ['key'],
    });
  }
  const cache =
    options.cache || env.LOCKSTEP_CACHE || (isRemote(blobs) ? join(homedir(), '.cache', 'lockstep') : defaults.cache);
  return { blobs, cache };
}
