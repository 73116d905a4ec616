import { Worker } from 'node:worker_threads';
import { LockstepError } from '../../errors.ts';
import { compiledWorker } from '../../exec/pool/compile.ts';
import type { Driver } from '../../store/driver.ts';
import { SqliteDriver } from '../../store/sqlite/index.ts';
import { GroupWriter, type PointJob, type PointWriter } from './group-commit.ts';
import { transferables } from './point-batch.ts';
import type { FromWriter, ToWriter } from './point-worker.ts';

/** The writer thread's file: compiled JS in the package, the TypeScript compiled once (or through tsx) in a checkout. */
async function entry(): Promise<URL> {
  if (!import.meta.url.endsWith('.ts')) return new URL('./point-worker.js', import.meta.url);
  const js = await compiledWorker(new URL('./point-worker.ts', import.meta.url));
  return js ? new URL(js) : new URL('./point-worker-dev.mjs', import.meta.url);
}

/**
 * Metric points written on a thread of their own, through a second
 * connection to the same SQLite file (WAL lets it write while the server's
 * connection reads). A log-batch of 1,000 points costs the server's thread
 * the parsing and a message; SQLite's inserts, the most of the work, run
 * beside it, so the two use two cores and the event loop never waits for a
 * commit. Jobs go one message each, their columns transferred, not copied;
 * the thread groups what arrives while it writes.
 */
export class WorkerWriter implements PointWriter {
  private started: Promise<Worker> | null = null;
  private readonly pending = new Map<number, { done: (w: boolean) => void; fail: (e: unknown) => void }>();
  private next = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly path: string) {}

  async submit(job: PointJob): Promise<boolean> {
    const worker = await this.start();
    return new Promise((done, fail) => {
      const id = this.next++;
      this.pending.set(id, { done, fail });
      worker.postMessage({ id, job } satisfies ToWriter, transferables(job.points));
    });
  }

  private start(): Promise<Worker> {
    this.started ??= entry().then((url) => {
      const worker = new Worker(url, { workerData: { path: this.path } });
      // a server that is closed without close() does not stay up for its writer
      worker.unref();
      worker.on('message', (msg: FromWriter) => {
        if ('closed' in msg) return;
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if ('error' in msg) p?.fail(new LockstepError('E_STORE', `writing metric points failed: ${msg.error}`));
        else p?.done(msg.written);
      });
      const lost = (why: string) => {
        this.started = null;
        for (const p of this.pending.values()) p.fail(new LockstepError('E_STORE', `the points writer ${why}`));
        this.pending.clear();
      };
      worker.on('error', (e) => lost(`failed: ${e.message}`));
      worker.on('exit', (code) => lost(`stopped (exit code ${code})`));
      return worker;
    });
    return this.started;
  }

  close(): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.closing ??= this.started.then(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.on('message', (msg: FromWriter) => {
            if ('closed' in msg) void worker.terminate();
          });
          worker.postMessage({ close: true } satisfies ToWriter);
        }),
    );
    return this.closing;
  }
}

const writers = new WeakMap<Driver, PointWriter>();

/**
 * The points writer of a database: a writer thread for a SQLite file, the
 * group commit in this thread otherwise (PostgreSQL does its work in its own
 * processes; an in-memory SQLite database has no second connection).
 */
export function pointWriter(driver: Driver): PointWriter {
  let w = writers.get(driver);
  if (!w) {
    const file = driver instanceof SqliteDriver && driver.location !== ':memory:' && driver.location !== '';
    w = file ? new WorkerWriter(driver.location) : new GroupWriter(driver);
    writers.set(driver, w);
  }
  return w;
}

/** Writes what was submitted and stops the writer (a later write starts a new one). */
export async function closePointWriter(driver: Driver): Promise<void> {
  const w = writers.get(driver);
  writers.delete(driver);
  await w?.close();
}
