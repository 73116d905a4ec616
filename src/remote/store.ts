import { randomUUID } from 'node:crypto';
import { isLockstepError, LockstepError } from '../errors.ts';
import type { Row } from '../store/driver.ts';
import { experimentTable } from '../store/names.ts';
import {
  type ExperimentRecord,
  type MetricPoint,
  newExperimentRecord,
  type RunRecord,
  type RunWrite,
  Store,
} from '../store/store.ts';
import { RemoteDriver } from './driver.ts';
import { HttpClient, type HttpOptions, isUnreachable } from './http.ts';
import { Outbox } from './outbox.ts';
import { type ExperimentJson, fromWireRun, toRecord, wireRun } from './records.ts';

export interface RemoteOptions extends HttpOptions {
  /** The offline buffer's file, or `false` to fail instead of buffering (default `LOCKSTEP_OUTBOX` or ~/.lockstep/outbox.db). */
  outbox?: string | false;
  /** Most metric points per request (default 50,000). */
  pointsPerRequest?: number;
  /**
   * Where the session says that it buffers to the outbox (once, when it starts) and how many writes
   * wait there (when it closes): a function, or `false` for silence (default: a line on stderr).
   */
  warn?: ((message: string) => void) | false;
}

const enc = encodeURIComponent;

/**
 * The store of a remote session: the same methods as the database store,
 * answered by a lockstep server over HTTP. Writes are batched and retried;
 * when the server cannot be reached they go, in order, to a local outbox
 * that `lockstep sync` sends later, exactly once (every write carries an
 * idempotency key the server remembers).
 */
export class RemoteStore extends Store {
  readonly http: HttpClient;
  private outboxDb: Outbox | undefined;
  private readonly local = new Map<string, ExperimentRecord>();
  /** Writes this session put into the outbox. */
  private buffered = 0;

  constructor(
    readonly url: string,
    private readonly options: RemoteOptions = {},
  ) {
    const http = new HttpClient(url, options);
    super(new RemoteDriver(http, url));
    this.http = http;
  }

  private get remote(): RemoteDriver {
    return this.driver as RemoteDriver;
  }

  override async init(): Promise<void> {
    try {
      const health = await this.http.request<{ dialect: string }>('GET', '/api/v1/health');
      this.remote.setDialect(health.dialect);
    } catch (e) {
      if (!(isUnreachable(e) && this.options.outbox !== false)) throw e;
      // offline from the start: writes go to the outbox
    }
  }

  private outbox(): Outbox | undefined {
    if (this.options.outbox === false) return undefined;
    this.outboxDb ??= new Outbox(this.options.outbox);
    return this.outboxDb;
  }

  /** Writes still waiting in the outbox for this server. */
  pending(): number {
    return this.outbox()?.count(this.http.base) ?? 0;
  }

  /**
   * Sends a write, or queues it: once anything is queued for this server,
   * later writes queue behind it so that the server sees them in order.
   */
  private async send<T>(method: string, path: string, body?: unknown, queued: unknown = body): Promise<T | undefined> {
    const key = randomUUID();
    const box = this.outbox();
    const waiting = box?.count(this.http.base) ?? 0;
    if (box && waiting > 0) {
      this.buffer(
        box,
        [method, path, queued, key],
        (at, now) =>
          `${plural(waiting, 'earlier write')} for ${this.http.base} wait in the outbox ${at}: this session's writes queue behind them (${now} now) until "lockstep sync" sends them`,
      );
      return undefined;
    }
    try {
      return await this.http.request<T>(method, path, body, key);
    } catch (e) {
      if (!box || !isUnreachable(e)) throw e;
      this.buffer(
        box,
        [method, path, queued, key],
        (at, now) =>
          `${this.http.base} is unreachable (${(e as Error).message}): writes wait in the outbox ${at} (${now} now) until "lockstep sync" sends them`,
      );
      return undefined;
    }
  }

  /** Queues a write; the first one of the session says why and where (the server being down is not silent). */
  private buffer(
    box: Outbox,
    [method, path, body, key]: [string, string, unknown, string],
    why: (outbox: string, waiting: number) => string,
  ): void {
    box.add(this.http.base, method, path, body, key);
    if (this.buffered++ === 0) this.say(`lockstep: ${why(box.path, box.count(this.http.base))}`);
  }

  private say(message: string): void {
    const warn = this.options.warn;
    if (warn === false) return;
    if (warn) warn(message);
    else process.stderr.write(`${message}\n`);
  }

  override async getExperiment(name: string): Promise<ExperimentRecord | undefined> {
    try {
      const res = await this.http.request<{ experiment: ExperimentJson }>('GET', `/api/v1/experiments/${enc(name)}`);
      return toRecord(res.experiment);
    } catch (e) {
      if (isLockstepError(e, 'E_NOT_FOUND')) return this.local.get(name);
      if (isUnreachable(e) && this.options.outbox !== false) return this.local.get(name);
      throw e;
    }
  }

  override async requireExperiment(name: string): Promise<ExperimentRecord> {
    const exp = await this.getExperiment(name);
    if (!exp)
      throw new LockstepError('E_NOT_FOUND', `no experiment named "${name}" on ${this.url}`, { details: { name } });
    return exp;
  }

  override async listExperiments(): Promise<(ExperimentRecord & { runs: number })[]> {
    const res = await this.http.request<{ experiments: ExperimentJson[] }>('GET', '/api/v1/experiments');
    return res.experiments.map((e) => ({ ...toRecord(e), runs: e.runs ?? 0 }));
  }

  override async createExperiment(name: string, description: string | null): Promise<ExperimentRecord> {
    experimentTable(name); // checks the name before anything travels
    // Online, a taken name is an error as it is locally. A queued create may
    // replay after someone else made the experiment: it then joins it.
    const res = await this.send<{ experiment: ExperimentJson }>(
      'POST',
      '/api/v1/experiments',
      { name, description },
      { name, description, ifExists: 'load' },
    );
    if (res) return toRecord(res.experiment);
    const exp = newExperimentRecord(name, description);
    this.local.set(name, exp);
    return exp;
  }

  override async deleteExperiment(name: string): Promise<void> {
    this.local.delete(name);
    await this.send('DELETE', `/api/v1/experiments/${enc(name)}`);
  }

  override async updateExperiment(
    exp: ExperimentRecord,
    change: { description?: string | null; fields?: Record<string, unknown> },
  ): Promise<void> {
    await this.send('PATCH', `/api/v1/experiments/${enc(exp.name)}`, change);
    if (change.description !== undefined) exp.description = change.description;
    if (change.fields) exp.fields = change.fields;
    exp.updatedAt = new Date();
  }

  /**
   * Runs go in requests of at most `pointsPerRequest` metric points; a longer
   * series follows in further requests that carry the run again with the
   * next slice of its points (same attempt, so the server keeps them in one
   * series).
   */
  override async writeRuns(exp: ExperimentRecord, runs: readonly RunWrite[]): Promise<boolean> {
    const max = this.options.pointsPerRequest ?? 50_000;
    const path = `/api/v1/experiments/${enc(exp.name)}/runs`;
    let batch: unknown[] = [];
    let points = 0;
    const send = async () => {
      if (batch.length === 0) return;
      await this.send('POST', path, { runs: batch });
      batch = [];
      points = 0;
    };
    for (const run of runs) {
      const n = run.metrics.length;
      if (batch.length >= 500 || (points > 0 && points + Math.min(n, max) > max)) await send();
      batch.push(wireRun(run, n <= max ? run.metrics : run.metrics.slice(0, max)));
      points += Math.min(n, max);
      for (let i = max; i < n; i += max) {
        await send();
        const rest: RunWrite = {
          ...run,
          replaceMetrics: false,
          archiveKeys: [],
          metrics: run.metrics.slice(i, i + max),
        };
        batch.push(wireRun(rest, rest.metrics));
        points += rest.metrics.length;
      }
    }
    await send();
    return true;
  }

  /** The server marks interrupted runs when it reads them. */
  override async reapInterrupted(): Promise<number> {
    return 0;
  }

  override async runStates(
    exp: ExperimentRecord,
  ): Promise<Map<string, { status: RunRecord['status']; attempt: number }>> {
    return new Map((await this.readRuns(exp)).map((r) => [r.id, { status: r.status, attempt: r.attempt ?? 0 }]));
  }

  override async readRuns(exp: ExperimentRecord, where?: { runIds?: readonly string[] }): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    const base = `/api/v1/experiments/${enc(exp.name)}/records`;
    if (where?.runIds) {
      for (let i = 0; i < where.runIds.length; i += 100) {
        const ids = where.runIds
          .slice(i, i + 100)
          .map(enc)
          .join(',');
        const res = await this.http.request<{ records: Row[] }>('GET', `${base}?runIds=${ids}&limit=100`);
        out.push(...res.records.map(fromWireRun));
      }
      return out;
    }
    for (let offset = 0; ; offset += 1000) {
      const res = await this.http.request<{ total: number; records: Row[] }>(
        'GET',
        `${base}?offset=${offset}&limit=1000`,
      );
      out.push(...res.records.map(fromWireRun));
      if (res.records.length < 1000) return out;
    }
  }

  override async deleteRuns(exp: ExperimentRecord, runIds: readonly string[]): Promise<void> {
    for (let i = 0; i < runIds.length; i += 10_000) {
      await this.send('POST', `/api/v1/experiments/${enc(exp.name)}/runs/delete`, {
        runIds: runIds.slice(i, i + 10_000),
      });
    }
  }

  override async readMetrics(exp: ExperimentRecord, runId: string, key?: string): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    for (let offset = 0; ; ) {
      const q = `offset=${offset}&limit=100000${key ? `&key=${enc(key)}` : ''}`;
      const res = await this.http.request<{
        points: (Omit<MetricPoint, 'value'> & { value: number | string })[];
        more: boolean;
      }>('GET', `/api/v1/experiments/${enc(exp.name)}/runs/${enc(runId)}/points?${q}`);
      for (const p of res.points) out.push({ ...p, value: Number(p.value) });
      offset += res.points.length;
      if (!res.more) return out;
    }
  }

  override query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.remote.query(sql, params);
  }

  override async close(): Promise<void> {
    if (this.buffered > 0 && this.outboxDb) {
      const n = this.outboxDb.count(this.http.base);
      this.say(
        `lockstep: ${plural(n, 'write')} for ${this.http.base} wait in the outbox ${this.outboxDb.path}: send them with "lockstep sync"`,
      );
    }
    this.outboxDb?.close();
    this.outboxDb = undefined;
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
