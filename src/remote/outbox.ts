import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** A write that could not reach its server, kept in order until `lockstep sync` sends it. */
export interface OutboxEntry {
  seq: number;
  server: string;
  method: string;
  path: string;
  body: unknown;
  /** The request's idempotency key: the server applies each entry at most once. */
  key: string;
  createdAt: number;
}

/** `LOCKSTEP_OUTBOX`, else `~/.lockstep/outbox.db`. */
export function defaultOutboxPath(): string {
  return process.env.LOCKSTEP_OUTBOX || join(homedir(), '.lockstep', 'outbox.db');
}

/**
 * The offline buffer: a local SQLite file of pending write requests per
 * server, in the order they were made. Tokens are never stored in it.
 */
export class Outbox {
  private readonly db: Database.Database;

  constructor(readonly path: string = defaultOutboxPath()) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 15000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      server TEXT NOT NULL,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      body TEXT,
      key TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL
    )`);
  }

  add(server: string, method: string, path: string, body: unknown, key: string): void {
    this.db
      .prepare('INSERT INTO outbox (server, method, path, body, key, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(server, method, path, body === undefined ? null : JSON.stringify(body), key, Date.now());
  }

  count(server?: string): number {
    const row = (
      server
        ? this.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE server = ?').get(server)
        : this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get()
    ) as { n: number };
    return row.n;
  }

  servers(): string[] {
    return (this.db.prepare('SELECT DISTINCT server FROM outbox ORDER BY server').all() as { server: string }[]).map(
      (r) => r.server,
    );
  }

  /** The oldest pending entries of a server. */
  next(server: string, limit = 100): OutboxEntry[] {
    const rows = this.db
      .prepare(
        'SELECT seq, server, method, path, body, key, created_at FROM outbox WHERE server = ? ORDER BY seq LIMIT ?',
      )
      .all(server, limit) as {
      seq: number;
      server: string;
      method: string;
      path: string;
      body: string | null;
      key: string;
      created_at: number;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      server: r.server,
      method: r.method,
      path: r.path,
      body: r.body === null ? undefined : JSON.parse(r.body),
      key: r.key,
      createdAt: r.created_at,
    }));
  }

  remove(seq: number): void {
    this.db.prepare('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  close(): void {
    this.db.close();
  }
}
