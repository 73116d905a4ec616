import { isLockstepError, LockstepError } from '../errors.ts';
import { HttpClient, type HttpOptions, isUnreachable } from './http.ts';
import { Outbox } from './outbox.ts';

export interface SyncOptions extends HttpOptions {
  /** Only this server (default: every server with pending writes). */
  server?: string;
  /** The outbox file (default `LOCKSTEP_OUTBOX` or ~/.lockstep/outbox.db). */
  outbox?: string;
}

export interface SyncResult {
  /** Per server: writes sent now, and writes still waiting (the server could not be reached). */
  servers: { server: string; sent: number; remaining: number }[];
}

/**
 * Sends the writes buffered while servers were unreachable, oldest first.
 * Each carries the idempotency key it was given when it was made, so a write
 * the server already applied (a sync interrupted after the server answered)
 * is not applied twice. A server that is still unreachable keeps its queue.
 *
 * @example
 * ```ts
 * const { servers } = await syncOutbox({ token: process.env.LOCKSTEP_TOKEN });
 * ```
 */
export async function syncOutbox(options: SyncOptions = {}): Promise<SyncResult> {
  const box = new Outbox(options.outbox);
  try {
    const servers = options.server ? [options.server.replace(/\/+$/, '')] : box.servers();
    const out: SyncResult['servers'] = [];
    for (const server of servers) {
      const http = new HttpClient(server, options);
      let sent = 0;
      try {
        for (let batch = box.next(server); batch.length; batch = box.next(server)) {
          for (const entry of batch) {
            try {
              await http.request(entry.method, entry.path, entry.body, entry.key);
            } catch (e) {
              // deleting what is already gone is done
              if (!(entry.method === 'DELETE' && isLockstepError(e, 'E_NOT_FOUND'))) throw e;
            }
            box.remove(entry.seq);
            sent++;
          }
        }
      } catch (e) {
        if (!isUnreachable(e)) {
          throw new LockstepError(
            isLockstepError(e) ? e.code : 'E_STORE',
            `sync to ${server} stopped after ${sent} write(s): the server refused the next one: ${(e as Error).message}`,
            { cause: e },
          );
        }
      }
      out.push({ server, sent, remaining: box.count(server) });
    }
    return { servers: out };
  } finally {
    box.close();
  }
}
