import type { BigIntStats } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** Where the hash cache lives: `LOCKSTEP_HASH_CACHE`, else the user's cache directory. */
export function defaultCachePath(): string {
  if (process.env.LOCKSTEP_HASH_CACHE) return process.env.LOCKSTEP_HASH_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'lockstep', 'hashes.db');
}

interface Entry {
  size: string;
  mtime: string;
  ino: string;
  hash: string;
}

/**
 * File hashes remembered in a small SQLite file, keyed on absolute path, size,
 * mtime (nanoseconds) and inode: a file that was replaced, touched or rewritten
 * in place misses the cache and is hashed again. This is what makes locking a
 * directory of unchanged files cost a `stat` per file.
 */
export class HashCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], Entry>;
  private readonly rangeStmt: Database.Statement<[string, string], Entry & { path: string }>;
  private readonly putStmt: Database.Statement<[string, string, string, string, string]>;
  private pending: [string, string, string, string, string][] = [];

  constructor(readonly path: string = defaultCachePath()) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
    if (path !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS hashes (
      path TEXT PRIMARY KEY, size TEXT NOT NULL, mtime TEXT NOT NULL, ino TEXT NOT NULL, hash TEXT NOT NULL
    )`);
    this.getStmt = this.db.prepare('SELECT size, mtime, ino, hash FROM hashes WHERE path = ?');
    this.rangeStmt = this.db.prepare('SELECT path, size, mtime, ino, hash FROM hashes WHERE path >= ? AND path < ?');
    this.putStmt = this.db.prepare(
      'INSERT INTO hashes (path, size, mtime, ino, hash) VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, ino = excluded.ino, hash = excluded.hash',
    );
  }

  /**
   * Every remembered entry under a directory, in one query: looking files up
   * one by one costs more than the `stat` that checks them.
   */
  preload(dir: string): Map<string, Entry> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    // [prefix, prefix + U+FFFF) is the range of paths that start with prefix
    const rows = this.rangeStmt.all(prefix, `${prefix}\uffff`);
    return new Map(rows.map((r) => [r.path, r]));
  }

  /** The remembered hash, when size, mtime and inode all still match. */
  get(path: string, s: BigIntStats, known?: Map<string, Entry>): string | undefined {
    const row = known ? known.get(path) : this.getStmt.get(path);
    if (!row) return undefined;
    return row.size === String(s.size) && row.mtime === String(s.mtimeNs) && row.ino === String(s.ino)
      ? row.hash
      : undefined;
  }

  /** Remembers a hash; written at the next {@link flush}. */
  set(path: string, s: BigIntStats, hash: string): void {
    this.pending.push([path, String(s.size), String(s.mtimeNs), String(s.ino), hash]);
    if (this.pending.length >= 5000) this.flush();
  }

  /** Writes remembered hashes in one transaction. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const r of rows) this.putStmt.run(...r);
    })();
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
