import { randomUUID } from 'node:crypto';
import { LockstepError } from '../errors.ts';
import { suggest } from '../suggest.ts';
import { VERSION } from '../version.ts';
import { CODEC_VERSION, encodeValue } from './codec.ts';
import { collision, columnType, metaFromJson, metaToJson, migrateColumn, planColumns, sourceOf } from './columns.ts';
import type { Driver, Row } from './driver.ts';
import { quoteId } from './driver.ts';
import { type Kind, kindOf, mergeKinds } from './kinds.ts';
import { experimentTable, indexName } from './names.ts';

export type Role = 'config' | 'param' | 'field';
export type RunStatus = 'pending' | 'running' | 'done' | 'failed';

export interface ColumnInfo {
  role: Role;
  key: string;
  /** `null` while the column has held nothing but nulls. */
  kind: Kind | null;
}

export interface ExperimentMeta {
  tool: string;
  codec: number;
  /** Column name to what it holds, in creation order. */
  columns: Record<string, ColumnInfo>;
}

export interface ExperimentRecord {
  id: string;
  name: string;
  tableName: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
  fields: Record<string, unknown>;
  meta: ExperimentMeta;
}

export interface MetricPoint {
  key: string;
  step: number;
  timestamp: number;
  value: number;
}

export interface RunRecord {
  id: string;
  status: RunStatus;
  startedAt: Date | null;
  endedAt: Date | null;
  error: string | null;
  errorStack: string | null;
  paramsKey: string;
  config: Record<string, unknown>;
  params: Record<string, unknown>;
  fields: Record<string, unknown>;
}

/** A run on its way to the database, with the metric points it logged since the last write. */
export interface RunWrite extends RunRecord {
  metrics: readonly MetricPoint[];
  /** Drop the run's stored metric points first (the run was executed again). */
  replaceMetrics: boolean;
}

/** A new experiment's record, before it is stored; checks the name and derives its table. */
export function newExperimentRecord(name: string, description: string | null): ExperimentRecord {
  const tableName = experimentTable(name);
  const now = new Date();
  return {
    id: randomUUID(),
    name,
    tableName,
    description,
    createdAt: now,
    updatedAt: now,
    fields: {},
    meta: { tool: VERSION, codec: CODEC_VERSION, columns: {} },
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

/** The reserved run columns and how they decode. */
const RUN_COLUMN_KINDS: [string, Kind | null][] = [
  ['run_id', 'string'],
  ['status', 'string'],
  ['started_at', 'date'],
  ['ended_at', 'date'],
  ['error', 'string'],
  ['error_stack', 'string'],
  ['params_key', 'string'],
];

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
    const t = (k: Kind) => this.driver.dialect.columnType(k);
    await this.driver.transaction(async (tx) => {
      await tx.exec(`CREATE TABLE IF NOT EXISTS experiments (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        table_name TEXT NOT NULL UNIQUE,
        description TEXT,
        created_at ${t('date')} NOT NULL,
        updated_at ${t('date')} NOT NULL,
        fields ${t('json')} NOT NULL,
        meta ${t('json')} NOT NULL
      )`);
      await tx.exec(`CREATE TABLE IF NOT EXISTS metrics (
        experiment_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        step ${t('bigint')} NOT NULL,
        "timestamp" ${t('bigint')} NOT NULL,
        value ${t('number')}
      )`);
      await tx.exec('CREATE INDEX IF NOT EXISTS metrics_run_key ON metrics (experiment_id, run_id, key, step)');
    });
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
    return rows[0] ? this.decodeExperiment(rows[0]) : undefined;
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

  async createExperiment(name: string, description: string | null): Promise<ExperimentRecord> {
    const exp = newExperimentRecord(name, description);
    const { tableName, createdAt: now } = exp;
    await this.init();
    const d = this.driver.dialect;
    await this.driver.transaction(async (tx) => {
      const clash = await tx.all<{ name: string; table_name: string }>(
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
      await tx.exec(`CREATE TABLE ${quoteId(tableName)} (
        run_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        started_at ${d.columnType('date')},
        ended_at ${d.columnType('date')},
        error TEXT,
        error_stack TEXT,
        params_key TEXT NOT NULL
      )`);
      await tx.exec(
        `CREATE INDEX ${quoteId(indexName(tableName, 'params_key'))} ON ${quoteId(tableName)} (params_key)`,
      );
    });
    return exp;
  }

  async deleteExperiment(name: string): Promise<void> {
    const exp = await this.requireExperiment(name);
    await this.driver.transaction(async (tx) => {
      await tx.exec(`DROP TABLE IF EXISTS ${quoteId(exp.tableName)}`);
      await tx.run('DELETE FROM metrics WHERE experiment_id = ?', [exp.id]);
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
   * upserted by run id. Every value is checked before anything is written.
   */
  async writeRuns(exp: ExperimentRecord, runs: readonly RunWrite[]): Promise<void> {
    if (runs.length === 0) return;
    const incoming = planColumns(runs, exp.meta.columns);
    const d = this.driver.dialect;
    await this.driver.transaction(async (tx) => {
      // Another process may have added columns since `exp` was read.
      const [row] = await tx.all(`SELECT meta FROM experiments WHERE id = ?${d.forUpdate}`, [exp.id]);
      if (!row)
        throw new LockstepError(
          'E_NOT_FOUND',
          `experiment "${exp.name}" was deleted while its runs were being written`,
        );
      const meta = metaFromJson(d.fromColumn('json', row.meta));
      const table = quoteId(exp.tableName);
      for (const [col, info] of incoming) {
        const have = meta.columns[col];
        if (have && (have.role !== info.role || have.key !== info.key)) throw collision(col, have, info);
        const clash = Object.entries(meta.columns).find(([c]) => c !== col && c.toLowerCase() === col.toLowerCase());
        if (clash) throw collision(col, clash[1], info);
        if (!have) {
          await tx.exec(`ALTER TABLE ${table} ADD COLUMN ${quoteId(col)} ${columnType(d, info.kind)}`);
          meta.columns[col] = { ...info };
        } else {
          const kind = mergeKinds(have.kind, info.kind);
          if (kind !== have.kind) {
            await migrateColumn(tx, exp.tableName, col, have.kind, kind);
            have.kind = kind;
          }
        }
      }
      const cols = Object.keys(meta.columns).filter((c) => incoming.has(c));
      const kinds = cols.map((c) => (meta.columns[c] as ColumnInfo).kind);
      const sources = cols.map((c) => sourceOf((meta.columns[c] as ColumnInfo).role));
      const keys = cols.map((c) => (meta.columns[c] as ColumnInfo).key);
      const rows: unknown[][] = new Array(runs.length);
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i] as RunWrite;
        const row: unknown[] = new Array(7 + cols.length);
        row[0] = run.id;
        row[1] = run.status;
        row[2] = d.toParam('date', run.startedAt);
        row[3] = d.toParam('date', run.endedAt);
        row[4] = run.error;
        row[5] = run.errorStack;
        row[6] = run.paramsKey;
        for (let c = 0; c < cols.length; c++) {
          const v = run[sources[c] as 'fields'][keys[c] as string];
          const kind = kinds[c] as Kind | null;
          row[7 + c] = v == null || kind === null ? null : kind === 'binary' ? encodeValue(v) : d.toParam(kind, v);
        }
        rows[i] = row;
      }
      await tx.insert({
        table: exp.tableName,
        columns: ['run_id', 'status', 'started_at', 'ended_at', 'error', 'error_stack', 'params_key', ...cols],
        rows,
        conflict: ['run_id'],
      });
      const replaced = runs.filter((r) => r.replaceMetrics).map((r) => r.id);
      for (let i = 0; i < replaced.length; i += 500) {
        const ids = replaced.slice(i, i + 500);
        await tx.run(`DELETE FROM metrics WHERE experiment_id = ? AND run_id IN (${ids.map(() => '?').join(', ')})`, [
          exp.id,
          ...ids,
        ]);
      }
      const points: unknown[][] = [];
      for (const run of runs) {
        for (const p of run.metrics) points.push([exp.id, run.id, p.key, p.step, p.timestamp, p.value]);
      }
      await tx.insert({
        table: 'metrics',
        columns: ['experiment_id', 'run_id', 'key', 'step', 'timestamp', 'value'],
        rows: points,
      });
      const now = new Date();
      await tx.run('UPDATE experiments SET meta = ?, updated_at = ? WHERE id = ?', [
        d.toParam('json', metaToJson(meta)),
        d.toParam('date', now),
        exp.id,
      ]);
      exp.meta = meta;
      exp.updatedAt = now;
    });
  }

  /** Reads every run of an experiment back with its values in their original types. */
  async readRuns(exp: ExperimentRecord, where?: { runIds?: readonly string[] }): Promise<RunRecord[]> {
    const d = this.driver.dialect;
    const cols = Object.entries(exp.meta.columns);
    const select = [
      'run_id',
      'status',
      'started_at',
      'ended_at',
      'error',
      'error_stack',
      'params_key',
      ...cols.map(([c, info]) => (info.kind ? d.selectExpr(quoteId(c), info.kind) : quoteId(c))),
    ].join(', ');
    let sql = `SELECT ${select} FROM ${quoteId(exp.tableName)}`;
    const params: unknown[] = [];
    if (where?.runIds) {
      sql += ` WHERE run_id IN (${where.runIds.map(() => '?').join(', ')})`;
      params.push(...where.runIds);
    }
    const rows = await this.driver.all(sql, params);
    const plan = cols.map(([c, info]) => [c, info.key, sourceOf(info.role), info.kind] as const);
    const out: RunRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const rec: RunRecord = {
        id: row.run_id as string,
        status: row.status as RunStatus,
        startedAt: d.fromColumn('date', row.started_at) as Date | null,
        endedAt: d.fromColumn('date', row.ended_at) as Date | null,
        error: (row.error as string | null) ?? null,
        errorStack: (row.error_stack as string | null) ?? null,
        paramsKey: row.params_key as string,
        config: {},
        params: {},
        fields: {},
      };
      for (const [c, key, source, kind] of plan) {
        const raw = row[c];
        if (raw !== null && raw !== undefined && kind) rec[source][key] = d.fromColumn(kind, raw);
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
    const d = this.driver.dialect;
    const known = new Map<string, Kind | null>(RUN_COLUMN_KINDS);
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
      }
    });
  }

  async readMetrics(exp: ExperimentRecord, runId: string, key?: string): Promise<MetricPoint[]> {
    const rows = await this.driver.all<MetricPoint>(
      `SELECT key, step, "timestamp", value FROM metrics WHERE experiment_id = ? AND run_id = ?${key ? ' AND key = ?' : ''} ORDER BY key, step`,
      key ? [exp.id, runId, key] : [exp.id, runId],
    );
    return rows.map((r) => ({ key: r.key, step: Number(r.step), timestamp: Number(r.timestamp), value: r.value }));
  }

  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.driver.query(sql, params);
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
