// Live runs, watched from a second connection while another process trains, then killed with -9.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { createSession, type Session } from '../../src/index.ts';
import { type Backend, backends, postgresAvailable } from '../helpers.ts';
import { LEASE_MS, LIVE_MS, trainAsync } from './fixtures/live-steps.ts';

const FIXTURE = new URL('./fixtures/live.ts', import.meta.url).pathname;
const BIN = new URL('../../bin/lockstep.js', import.meta.url).pathname;
const EVERY = 50;

function start(args: string[], viaBin = false): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, viaBin ? [BIN, ...args] : ['--import', 'tsx', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c;
  });
  return { child, out: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
  log?: () => string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // the table may not exist yet
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${log ? `\n${log()}` : ''}`);
    await sleep(25);
  }
}

interface Row {
  run_id: string;
  status: string;
  started_at: unknown;
  lr: number;
  n: number;
  run_host: string;
  run_pid: number;
  run_executor: string;
  run_attempt: number;
  error: string | null;
}

async function runRow(s: Session): Promise<Row | undefined> {
  const rows = await s.query('SELECT * FROM experiment_live');
  return rows[0] as Row | undefined;
}

async function points(s: Session, runId: string): Promise<{ step: number; timestamp: number }[]> {
  const sql =
    s.dialect === 'sqlite'
      ? "SELECT step, timestamp FROM metrics WHERE run_id = ? AND key = 'loss' ORDER BY step"
      : "SELECT step, timestamp FROM metrics WHERE run_id = $1 AND key = 'loss' ORDER BY step";
  return (await s.query(sql, [runId])).map((r) => ({ step: Number(r.step), timestamp: Number(r.timestamp) }));
}

/**
 * Watches a run trained by `child` from this process's own connection: its
 * row while running, its points growing; then kills the child with -9 and
 * checks what the store kept.
 */
async function watchAndKill(
  s: Session,
  proc: { child: ChildProcess; out: () => string },
  executor: string,
  pid: number,
): Promise<{ runId: string; kept: number }> {
  const row = await until(
    'the running row',
    async () => {
      const r = await runRow(s);
      return r?.status === 'running' ? r : undefined;
    },
    30_000,
    proc.out,
  );
  assert.ok(row.started_at, 'started_at is set while running');
  assert.equal(Number(row.lr), 0.1, 'params are stored from the start');
  assert.equal(Number(row.n), 1000, 'config is stored from the start');
  assert.equal(row.run_host, hostname());
  assert.equal(Number(row.run_pid), pid);
  assert.equal(row.run_executor, executor);
  const first = await until(
    'points mid-run',
    async () => {
      const p = await points(s, row.run_id);
      return p.length >= 3 ? p.length : undefined;
    },
    20_000,
    proc.out,
  );
  await sleep(4 * LIVE_MS);
  const later = (await points(s, row.run_id)).length;
  assert.ok(later > first, `the series grows while the run runs (${first} then ${later})`);
  assert.equal((await runRow(s))?.status, 'running');

  const killedAt = Date.now();
  proc.child.kill('SIGKILL');
  await new Promise((r) => proc.child.once('exit', r));
  const kept = await points(s, row.run_id);
  assert.deepEqual(
    kept.map((p) => p.step),
    kept.map((_, i) => i),
    'the stored series has no gaps',
  );
  const newest = Math.max(...kept.map((p) => p.timestamp));
  // a point reaches the store within LIVE_MS; the margin covers a machine so loaded that timers run late
  assert.ok(
    newest >= killedAt - 4 * LIVE_MS,
    `points logged more than a flush interval before the kill are stored (newest ${killedAt - newest} ms before it)`,
  );
  assert.equal((await runRow(s))?.status, 'running', 'its lease still holds right after the kill');
  return { runId: row.run_id, kept: kept.length };
}

/** After the lease ran out, a reader marks the run interrupted; executing again gives it a clean series. */
async function interruptedThenRerun(s: Session, runId: string, kept: number): Promise<void> {
  await sleep(LEASE_MS + 200);
  const exp = await s.loadExperiment('live');
  const run = exp.runs.get(runId);
  assert.equal(run?.status, 'interrupted', 'a dead run is not left running');
  assert.match(run?.error?.message ?? '', /interrupted: .* stopped renewing its lease/);
  assert.equal(run?.attempt, 1);
  const sum = await exp.execute(trainAsync, { config: { n: 4, every: 1 }, quiet: true });
  assert.equal(sum.executed, 1, 'the next execute runs it again');
  assert.equal(exp.runs.get(runId)?.attempt, 2);
  const series = await exp.metrics(runId, 'loss');
  assert.deepEqual(
    series.map((p) => p.step),
    [0, 1, 2, 3],
    'the new attempt starts its series afresh',
  );
  const first = await exp.metrics(runId, 'loss', { attempt: 1 });
  assert.equal(first.length, kept, 'the killed attempt is kept apart');
}

async function sessionOn(backend: Backend): Promise<{ url: string; s: Session } | undefined> {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  const url = await backend.fresh();
  return { url, s: await createSession(url) };
}

for (const backend of backends()) {
  describe(`live runs on ${backend.name}`, { concurrency: true }, () => {
    after(() => backend.cleanup());

    const modes: [string, string][] = [
      ['inline-async', 'inline'],
      ['threads', 'threads'],
      ['processes', 'processes'],
    ];
    // A step that never yields can only be written from inside it synchronously, which SQLite allows.
    if (backend.name === 'sqlite') modes.push(['inline-sync', 'inline']);
    for (const [mode, executor] of modes) {
      it(`${mode}: another connection sees the running run and its points; kill -9 keeps them, the run ends interrupted, the next execute re-runs it afresh`, async () => {
        const db = await sessionOn(backend);
        if (!db) return;
        try {
          const proc = start([db.url, mode, '1000', String(EVERY)]);
          const { runId, kept } = await watchAndKill(db.s, proc, executor, proc.child.pid as number);
          await interruptedThenRerun(db.s, runId, kept);
        } finally {
          await db.s.close();
        }
      });
    }

    it('queue: a lockstep worker streams its run; killed with -9, the next worker re-runs it with a clean series', async () => {
      const db = await sessionOn(backend);
      if (!db) return;
      try {
        const enq = start([db.url, 'queue', '1000', String(EVERY)]);
        await new Promise((r) => enq.child.once('exit', r));
        assert.match(enq.out(), /FINISHED/);
        const worker = (args: string[] = []) =>
          start(
            ['worker', '--db', db.url, '--lease', '1', '--poll', '0.1', '--exit-when-empty', '--quiet', ...args],
            true,
          );
        const w1 = worker();
        const { runId, kept } = await watchAndKill(db.s, w1, 'queue', w1.child.pid as number);
        assert.ok(kept > 0);
        await sleep(LEASE_MS + 200);
        const reloaded = await db.s.loadExperiment('live');
        assert.equal(reloaded.runs.get(runId)?.status, 'interrupted');
        // the second worker claims the run once its queue lease ran out, and trains it again from scratch
        const w2 = worker();
        await until(
          'the second attempt running',
          async () => {
            const r = await runRow(db.s);
            return r?.status === 'running' && Number(r.run_attempt) === 2 ? r : undefined;
          },
          30_000,
          w2.out,
        );
        await until(
          'a few points of the second attempt',
          async () => {
            const p = await points(db.s, runId);
            return p.length >= 3 && p.length < kept ? p : undefined;
          },
          20_000,
          w2.out,
        );
        w2.child.kill('SIGKILL');
        await new Promise((r) => w2.child.once('exit', r));
        const again = await points(db.s, runId);
        assert.deepEqual(
          again.map((p) => p.step),
          again.map((_, i) => i),
          'the current series holds the second attempt alone',
        );
        const exp = await db.s.loadExperiment('live');
        assert.equal((await exp.metrics(runId, 'loss', { attempt: 1 })).length, kept);
      } finally {
        await db.s.close();
      }
    });
  });
}
