import type { Driver } from '../store/driver.ts';

/**
 * Remembers the `Idempotency-Key` of every write request that succeeded, so
 * that a client retrying after a lost answer (or `lockstep sync` replaying
 * its buffer) does not write twice.
 */
const TABLE = 'request_keys';
const ready = new WeakMap<Driver, Promise<void>>();

function ensure(driver: Driver): Promise<void> {
  let p = ready.get(driver);
  if (!p) {
    p = driver.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, created_at ${driver.dialect.columnType('bigint')} NOT NULL)`,
    );
    p.catch(() => ready.delete(driver));
    ready.set(driver, p);
  }
  return p;
}

export async function seen(driver: Driver, key: string | undefined): Promise<boolean> {
  if (!key) return false;
  await ensure(driver);
  const rows = await driver.all(`SELECT 1 AS one FROM ${TABLE} WHERE key = ?`, [key]);
  return rows.length > 0;
}

/** Inside a write's transaction (after `seen` made the table): was the key applied meanwhile? */
export async function appliedIn(tx: Driver, key: string): Promise<boolean> {
  const rows = await tx.all(`SELECT 1 AS one FROM ${TABLE} WHERE key = ?`, [key]);
  return rows.length > 0;
}

/** Inside a write's transaction: false when the key was applied already, else records it (rolled back with the write). */
export async function firstTime(tx: Driver, key: string): Promise<boolean> {
  if (await appliedIn(tx, key)) return false;
  await remember(tx, key);
  return true;
}

/** Records a key (after `seen` made the table); call it inside the write's own transaction when there is one. */
export async function remember(driver: Driver, key: string | undefined): Promise<void> {
  if (!key) return;
  await driver.insert({ table: TABLE, columns: ['key', 'created_at'], rows: [[key, Date.now()]], conflict: ['key'] });
}

/** Runs `write` once per key: a repeated key answers `{ duplicate: true }` without writing. */
export async function once<T extends object>(
  driver: Driver,
  key: string | undefined,
  write: () => Promise<T>,
): Promise<T | { duplicate: true }> {
  if (await seen(driver, key)) return { duplicate: true };
  const out = await write();
  await remember(driver, key);
  return out;
}

/** The key of a request, from its `Idempotency-Key` header. */
export function keyOf(headers: Record<string, unknown>): string | undefined {
  const k = headers['idempotency-key'];
  return typeof k === 'string' && k.length > 0 && k.length <= 200 ? k : undefined;
}
