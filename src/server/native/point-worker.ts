// The writer thread of a SQLite tracking server: its own connection to the
// file, the same group commit as in the server's thread (one transaction per
// group, idempotency keys checked inside it). The server's thread parses
// requests meanwhile instead of waiting for SQLite.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDriver } from '../../store/sqlite/index.ts';
import { GroupWriter, type PointJob } from './group-commit.ts';

export type ToWriter = { id: number; job: PointJob } | { close: true };
export type FromWriter = { id: number; written: boolean } | { id: number; error: string } | { closed: true };

const port = parentPort;
if (port) {
  const driver = new SqliteDriver((workerData as { path: string }).path);
  const writer = new GroupWriter(driver);
  port.on('message', (msg: ToWriter) => {
    if ('close' in msg) {
      void writer
        .close()
        .then(() => driver.close())
        .finally(() => port.postMessage({ closed: true } satisfies FromWriter));
      return;
    }
    writer.submit(msg.job).then(
      (written) => port.postMessage({ id: msg.id, written } satisfies FromWriter),
      (e: unknown) =>
        port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) } satisfies FromWriter),
    );
  });
}
