import { randomUUID } from 'node:crypto';
import { isLockstepError, LockstepError } from '../errors.ts';
import { suggest } from '../suggest.ts';
import { VERSION } from '../version.ts';
import { CODEC_VERSION } from './codec.ts';
import { metaFromJson, metaToJson, planColumns, sourceOf } from './columns.ts';
import type { Driver, Row } from './driver.ts';
import { quoteId } from './driver.ts';
import { type Kind, kindOf } from './kinds.ts';
import { experimentTable, RESERVED_COLUMNS } from './names.ts';
import { all, run, runOps, runOpsSync } from './ops.ts';
import { createSharedTables, experimentTableDdl, LAYOUT, upgradeExperimentTable } from './tables.ts';
import type { ExperimentRecord, MetricPoint, RunRecord, RunStatus, RunWrite } from './types.ts';
import { writeRunsOps } from './write.ts';

export type {
  ColumnInfo,
  ExperimentMeta,
  ExperimentRecord,
  MetricPoint,
  Role,
  RunRecord,
  RunStatus,
  RunWrite,
} from './types.ts';
export { RUN_STATUSES } from './types.ts';

/**
 * A new experiment's record, before it is stored; checks the name and derives
 * its table. `id` keeps an experiment's identity (and so its grid runs' ids)
 * when it is copied to another database.
 */
export function newExperimentRecord(
  name: string,
  description: string | null,
  options: { id?: string } = {},
): ExperimentRecord {
  const tableName = experimentTable(name);
  const now = new Date();
  return {
    id: options.id ?? randomUUID(),
    name,
    tableName,
    description,
    createdAt: now,
    updatedAt: now,
    fields: {},
    meta: { tool: VERSION, codec: CODEC_VERSION, layout: LAYOUT, columns: {} },
  };
}

/** Options of {@link Store.queryRuns}. */
export interface RunQuery {
  where?: { sql: string; params: readonly unknown[] };
  orderBy?: string;
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** The reserved run columns and how they decode (the live-run ones are plain numbers and text). */
const RESERVED_KINDS: ReadonlyMap<string, Kind> = new Map([
  ['run_id', 'string'],
  ['status', 'string'],
  ['started_at', 'date'],
  ['ended_at', 'date'],
  ['error', 'string'],
  ['error_stack', 'string'],
  ['params_key', 'string'],
]);

/** A column named by a user, matched case-insensitively, or a clear error with the closest name. */
export function resolveColumn(columns: readonly string[], name: string): string {
  const exact = columns.find((c) => c === name) ?? columns.find((c) => c.toLowerCase() === name.toLowerCase());
  if (exact) return exact;
  const near = suggest(name, columns);
  throw new LockstepError(
    'E_INPUT',
    `unknown column "${name}"${near ? `; did you mean "${near}"?` : ''} (columns: ${columns.join(', ')})`,
    { details: { column: name } },
  );
}

/**
 * The experiment store: every query lockstep needs, written once for both
 * databases against the small {@link Driver} interface.
 */
export class Store {
  private ready: Promise<void> | null = null;

  constructor(readonly driver: Driver) {}

  /** Creates the shared tables once per process (idempotent across processes). */
  init(): Promise<void> {
    this.ready ??= this.createTables();
    return this.ready;
  }

  private async createTables(): Promise<void> {
    await createSharedTables(this.driver);
  }

  private decodeExperiment(row: Row): ExperimentRecord {
    const d = this.driver.dialect;
    return {
      id: row.id as string,
      name: row.name as string,
      tableName: row.table_name as string,
      description: (row.description as string | null) ?? null,
      createdAt: d.fromColumn('date', row.created_at) as Date,
      updatedAt: d.fromColumn('date', row.updated_at) as Date,
      fields: d.fromColumn('json', row.fields) as Record<string, unknown>,
      meta: metaFromJson(d.fromColumn('json', row.meta)),
    };
  }

  async getExperiment(name: string): Promise<ExperimentRecord | undefined> {
    await this.init();
    const rows = await this.driver.all('SELECT * FROM experiments WHERE name = ?', [name]);
    if (!rows[0]) return undefined;
    const exp = this.decodeExperiment(rows[0]);
    if ((exp.meta.layout ?? 1) < LAYOUT) await this.upgrade(exp);
    return exp;
  }

  /** Brings an experiment table made by an older lockstep up to the current layout. */
  private async upgrade(exp: ExperimentRecord): Promise<void> {
    const d = this.driver.dialect;
    await this.driver.transaction((tx) =>
      runOps(
        tx,
        (function* () {
          const [row] = yield* all(`SELECT meta FROM experiments WHERE id = ?${d.forUpdate}`, [exp.id]);
          if (!row) return;
          const meta = metaFromJson(d.fromColumn('json', row.meta));
          if (yield* upgradeExperimentTable(d, exp.tableName, meta.layout)) {
            meta.layout = LAYOUT;
            yield* run('UPDATE experiments SET meta = ? WHERE id = ?', [d.toParam('json', metaToJson(meta)), exp.id]);
          }
          exp.meta = meta;
        })(),
      ),
    );
  }

  async requireExperiment(name: string): Promise<ExperimentRecord> {
    const exp = await this.getExperiment(name);
    if (!exp) {
      const names = (await this.listExperiments()).map((e) => e.name);
      throw new LockstepError(
        'E_NOT_FOUND',
        `no experiment named "${name}"${names.length ? ` (experiments: ${names.join(', ')})` : ' (the database has no experiments)'}`,
        { details: { name } },
      );
    }
    return exp;
  }

  async listExperiments(): Promise<(ExperimentRecord & { runs: number })[]> {
    await this.init();
    const rows = await this.driver.all('SELECT * FROM experiments ORDER BY name');
    const out: (ExperimentRecord & { runs: number })[] = [];
    for (const row of rows) {
      const exp = this.decodeExperiment(row);
      const [count] = await this.driver.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteId(exp.tableName)}`);
      out.push({ ...exp, runs: Number(count?.n ?? 0) });
    }
    return out;
  }

  async createExperiment(
    name: string,
    description: string | null,
    options: { id?: string } = {},
  ): Promise<ExperimentRecord> {
    const exp = newExperimentRecord(name, description, options);
    const { tableName } = exp;
    await this.init();
    const refuseClash = async (q: Driver) => {
      const clash = await q.all<{ name: string; table_name: string }>(
        'SELECT name, table_name FROM experiments WHERE name = ? OR LOWER(table_name) = LOWER(?)',
        [name, tableName],
      );
      if (clash[0]) {
        throw new LockstepError(
          'E_CONFLICT',
          clash[0].name === name
            ? `experiment "${name}" already exists; load it with loadExperiment("${name}") or delete it first`
            : `experiment "${name}" would share table ${tableName} with experiment "${clash[0].name}"; choose another name`,
          { details: { name } },
        );
      }
    };
    try {
      await this.createIn(exp, refuseClash);
    } catch (e) {
      // another process created it at the same moment: its unique index or its table said so
      if (!isLockstepError(e)) await refuseClash(this.driver);
      throw e;
    }
    return exp;
  }

  private async createIn(exp: ExperimentRecord, refuseClash: (q: Driver) => Promise<void>): Promise<void> {
    const { name, tableName, description, createdAt: now } = exp;
    const d = this.driver.dialect;
    await this.driver.transaction(async (tx) => {
      await refuseClash(tx);
      await tx.run(
        'INSERT INTO experiments (id, name, table_name, description, created_at, updated_at, fields, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [
          exp.id,
          name,
          tableName,
          description,
          d.toParam('date', now),
          d.toParam('date', now),
          d.toParam('json', exp.fields),
          d.toParam('json', metaToJson(exp.meta)),
        ],
      );
      for (const ddl of experimentTableDdl(d, tableName)) await tx.exec(ddl);
    });
  }

  async deleteExperiment(name: string): Promise<void> {
    const exp = await this.requireExperiment(name);
    await this.driver.transaction(async (tx) => {
      await tx.exec(`DROP TABLE IF EXISTS ${quoteId(exp.tableName)}`);
      await tx.run('DELETE FROM metrics WHERE experiment_id = ?', [exp.id]);
      await tx.run('DELETE FROM metrics_archive WHERE experiment_id = ?', [exp.id]);
      await tx.run('DELETE FROM experiments WHERE id = ?', [exp.id]);
    });
  }

  async updateExperiment(
    exp: ExperimentRecord,
    change: { description?: string | null; fields?: Record<string, unknown> },
  ) {
    const d = this.driver.dialect;
    if (change.fields) {
      const kind = kindOf(change.fields, `experiment "${exp.name}" fields`);
      if (kind !== 'json') {
        throw new LockstepError(
          'E_VALUE',
          `experiment "${exp.name}" fields must be plain JSON values (numbers, strings, arrays, objects)`,
        );
      }
    }
    const now = new Date();
    await this.driver.run('UPDATE experiments SET description = ?, fields = ?, updated_at = ? WHERE id = ?', [
      change.description !== undefined ? change.description : exp.description,
      d.toParam('json', change.fields ?? exp.fields),
      d.toParam('date', now),
      exp.id,
    ]);
    if (change.description !== undefined) exp.description = change.description;
    if (change.fields) exp.fields = change.fields;
    exp.updatedAt = now;
  }

  /**
   * Writes runs in one transaction: new keys add columns, a key whose values
   * disagree in type turns its column into the binary encoding, rows are
   * upserted by run id, metric points join their run's current series. Every
   * value is checked before anything is written. Answers false when `guard`
   * said the write was done already.
   */
  async writeRuns(
    exp: ExperimentRecord,
    runs: readonly RunWrite[],
    options: { guard?: (tx: Driver) => Promise<boolean> } = {},
  ): Promise<boolean> {
    if (runs.length === 0) return true;
    const incoming = planColumns(runs, exp.meta.columns);
    const d = this.driver.dialect;
    return this.driver.transaction(async (tx) => {
      // the guard (an idempotency key) decides inside the transaction, so a repeated request writes nothing
      if (options.guard && !(await options.guard(tx))) return false;
      await runOps(tx, writeRunsOps(d, exp, runs, incoming));
      return true;
    });
  }

  /**
   * The same write, done before this call returns, when the backend can
   * (SQLite, with no other transaction open). Answers false, writing
   * nothing, when it cannot: the caller writes asynchronously instead.
   */
  writeRunsSync(exp: ExperimentRecord, runs: readonly RunWrite[]): boolean {
    if (!this.driver.trySync) return false;
    if (runs.length === 0) return true;
    const incoming = planColumns(runs, exp.meta.columns);
    const d = this.driver.dialect;
    return this.driver.trySync((tx) => runOpsSync(tx, writeRunsOps(d, exp, runs, incoming))) !== null;
  }

  private reaped = new Map<string, number>();

  /**
   * Marks `interrupted` the runs of an experiment still `running` whose lease
   * ran out: their process died (`kill -9`, out of memory, a lost node)
   * without saying so. Readers call it (at most once a second per
   * experiment), so nothing stays `running` forever; the next `execute` runs
   * them again.
   */
  async reapInterrupted(exp: ExperimentRecord): Promise<number> {
    const now = Date.now();
    if (now - (this.reaped.get(exp.id) ?? 0) < 1000) return 0;
    this.reaped.set(exp.id, now);
    const reason =
      "'interrupted: ' || COALESCE(run_executor, 'its executor') || ' on ' || COALESCE(run_host, '?') || ' (pid ' || COALESCE(CAST(run_pid AS TEXT), '?') || ') stopped renewing its lease; the next execute runs it again'";
    try {
      return await this.driver.run(
        `UPDATE ${quoteId(exp.tableName)} SET status = 'interrupted', error = ${reason}, error_stack = NULL, run_lease_until = NULL WHERE status = 'running' AND run_lease_until IS NOT NULL AND run_lease_until < ?`,
        [now],
      );
    } catch (e) {
      // a read-only database can still be read: the runs then just look `running`
      if (/readonly|read-only/i.test((e as Error).message)) return 0;
      throw e;
    }
  }

  /** Each stored run's status and attempt count, by run id. */
  async runStates(exp: ExperimentRecord): Promise<Map<string, { status: RunStatus; attempt: number }>> {
    const rows = await this.driver.all<{ run_id: string; status: RunStatus; run_attempt: number | bigint }>(
      `SELECT run_id, status, run_attempt FROM ${quoteId(exp.tableName)}`,
    );
    return new Map(rows.map((r) => [r.run_id, { status: r.status, attempt: Number(r.run_attempt) }]));
  }

  /** Reads every run of an experiment back with its values in their original types. */
  async readRuns(exp: ExperimentRecord, where?: { runIds?: readonly string[] }): Promise<RunRecord[]> {
    await this.reapInterrupted(exp);
    const d = this.driver.dialect;
    const cols = Object.entries(exp.meta.columns);
    const select = [
      ...RESERVED_COLUMNS,
      ...cols.map(([c, info]) => (info.kind ? d.selectExpr(quoteId(c), info.kind) : quoteId(c))),
    ].join(', ');
    let sql = `SELECT ${select} FROM ${quoteId(exp.tableName)}`;
    const params: unknown[] = [];
    if (where?.runIds) {
      sql += ` WHERE run_id IN (${where.runIds.map(() => '?').join(', ')})`;
      params.push(...where.runIds);
    }
    // arrays, not an object per row: loading 10^5 runs should cost little more than reading them
    const rows = await this.driver.rows(sql, params);
    const plan = cols.map(
      ([, info], i) => [13 + i, info.key, sourceOf(info.role), info.kind, info.field === true] as const,
    );
    const steps = new Map<string, readonly string[]>();
    const out: RunRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as unknown[];
      const stepsText = row[8] as string | null;
      let runSteps: readonly string[] | null = null;
      if (stepsText !== null && stepsText !== undefined) {
        runSteps = steps.get(stepsText) ?? null;
        if (!runSteps) {
          runSteps = Object.freeze(JSON.parse(stepsText) as string[]);
          steps.set(stepsText, runSteps);
        }
      }
      const rec: RunRecord = {
        id: row[0] as string,
        status: row[1] as RunStatus,
        startedAt: d.fromColumn('date', row[2]) as Date | null,
        endedAt: d.fromColumn('date', row[3]) as Date | null,
        error: (row[4] as string | null) ?? null,
        errorStack: (row[5] as string | null) ?? null,
        paramsKey: row[6] as string,
        config: {},
        params: {},
        fields: {},
        attempt: Number(row[7] ?? 0),
        steps: runSteps,
        host: (row[9] as string | null) ?? null,
        pid: row[10] == null ? null : Number(row[10]),
        executor: (row[11] as string | null) ?? null,
        leaseUntil: row[12] == null ? null : Number(row[12]),
      };
      for (const [c, key, source, kind, field] of plan) {
        const raw = row[c];
        if (raw !== null && raw !== undefined && kind) {
          const v = d.fromColumn(kind, raw);
          rec[source][key] = v;
          if (field) rec.fields[key] = v;
        }
      }
      out[i] = rec;
    }
    return out;
  }

  /**
   * Runs as flat rows (column name → value in its original type), filtered,
   * sorted and paged in SQL. `where` is a SQL condition with `?` placeholders:
   * from the search-grammar compiler, or typed by a CLI user on their own data.
   */
  async queryRuns(exp: ExperimentRecord, options: RunQuery = {}): Promise<Row[]> {
    await this.reapInterrupted(exp);
    const d = this.driver.dialect;
    const known = new Map<string, Kind | null>(RESERVED_COLUMNS.map((c) => [c, RESERVED_KINDS.get(c) ?? null]));
    for (const [c, info] of Object.entries(exp.meta.columns)) known.set(c, info.kind);
    const select = [...known].map(([c, kind]) => (kind ? d.selectExpr(quoteId(c), kind) : quoteId(c)));
    let sql = `SELECT ${select.join(', ')} FROM ${quoteId(exp.tableName)}`;
    const params: unknown[] = [];
    if (options.where) {
      sql += ` WHERE (${options.where.sql})`;
      params.push(...options.where.params);
    }
    if (options.orderBy) {
      const col = resolveColumn([...known.keys()], options.orderBy);
      sql += ` ORDER BY ${quoteId(col)} ${options.descending ? 'DESC' : 'ASC'} NULLS LAST, run_id`;
    }
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    if (options.offset) {
      if (options.limit === undefined) sql += d.name === 'sqlite' ? ' LIMIT -1' : ' LIMIT ALL';
      sql += ' OFFSET ?';
      params.push(options.offset);
    }
    let rows: Row[];
    try {
      rows = await this.driver.all(sql, params);
    } catch (e) {
      throw new LockstepError('E_SQL', `cannot select runs of "${exp.name}": ${(e as Error).message}`, { cause: e });
    }
    const decode = [...known].filter(([, kind]) => kind !== null) as [string, Kind][];
    for (const row of rows) {
      for (const [c, kind] of decode) {
        const raw = row[c];
        if (raw !== null && raw !== undefined) row[c] = d.fromColumn(kind, raw);
      }
    }
    return rows;
  }

  /** The number of runs matching a condition. */
  async countRuns(exp: ExperimentRecord, where?: { sql: string; params: readonly unknown[] }): Promise<number> {
    await this.reapInterrupted(exp);
    const sql = `SELECT COUNT(*) AS n FROM ${quoteId(exp.tableName)}${where ? ` WHERE (${where.sql})` : ''}`;
    try {
      const [row] = await this.driver.all<{ n: number | bigint }>(sql, where?.params ?? []);
      return Number(row?.n ?? 0);
    } catch (e) {
      throw new LockstepError('E_SQL', `cannot count runs of "${exp.name}": ${(e as Error).message}`, { cause: e });
    }
  }

  async deleteRuns(exp: ExperimentRecord, runIds: readonly string[]): Promise<void> {
    await this.driver.transaction(async (tx) => {
      for (let i = 0; i < runIds.length; i += 500) {
        const ids = runIds.slice(i, i + 500);
        const marks = ids.map(() => '?').join(', ');
        await tx.run(`DELETE FROM ${quoteId(exp.tableName)} WHERE run_id IN (${marks})`, ids);
        await tx.run(`DELETE FROM metrics WHERE experiment_id = ? AND run_id IN (${marks})`, [exp.id, ...ids]);
        await tx.run(`DELETE FROM metrics_archive WHERE experiment_id = ? AND run_id IN (${marks})`, [exp.id, ...ids]);
      }
    });
  }

  /**
   * A run's metric series, by key or all keys: its current attempt's points,
   * or with `attempt` those of an earlier execution (kept in `metrics_archive`).
   */
  async readMetrics(
    exp: ExperimentRecord,
    runId: string,
    key?: string,
    options: { attempt?: number } = {},
  ): Promise<MetricPoint[]> {
    const params: unknown[] = [exp.id, runId];
    let table = 'metrics';
    let where = '';
    if (options.attempt !== undefined) {
      const [row] = await this.driver.all<{ a: number }>(
        `SELECT run_attempt AS a FROM ${quoteId(exp.tableName)} WHERE run_id = ?`,
        [runId],
      );
      if (Number(row?.a) !== options.attempt) {
        table = 'metrics_archive';
        where = ' AND attempt = ?';
        params.push(options.attempt);
      }
    }
    if (key) {
      where += ' AND key = ?';
      params.push(key);
    }
    const rows = await this.driver.all<MetricPoint>(
      `SELECT key, step, "timestamp", value FROM ${table} WHERE experiment_id = ? AND run_id = ?${where} ORDER BY key, step`,
      params,
    );
    if (rows.length === 0) {
      const [known] = await this.driver.all(`SELECT 1 AS one FROM ${quoteId(exp.tableName)} WHERE run_id = ?`, [runId]);
      if (!known)
        throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run "${runId}"`, {
          details: { runId },
        });
    }
    return rows.map((r) => ({ key: r.key, step: Number(r.step), timestamp: Number(r.timestamp), value: r.value }));
  }

  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.driver.query(sql, params);
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
