import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createSession } from '../../src/index.ts';
import { backends, postgresAvailable } from '../helpers.ts';

const SWEEP = new URL('./fixtures/sweep.ts', import.meta.url).pathname;
const N = 1000;

function startSweep(url: string, mode: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SWEEP, url, mode, String(N)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const finished = new Set<number>();
  let out = '';
  let err = '';
  let buf = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('finished ')) finished.add(Number(line.slice(9)));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, finished, exited, output: () => out, errors: () => err };
}

async function until(what: () => boolean, child: ChildProcess, label: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!what()) {
    if (child.exitCode !== null) throw new Error(`the sweep exited (${child.exitCode}) before ${label}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The x of every run stored as done, read through a separate connection. */
async function storedDone(url: string): Promise<Set<number>> {
  const s = await createSession(url);
  try {
    const rows = await s.query(`SELECT x FROM experiment_sweep WHERE status = 'done'`);
    return new Set(rows.map((r) => Number(r.x)));
  } catch {
    return new Set(); // the first batch has not been written yet: no x column
  } finally {
    await s.close();
  }
}

for (const backend of backends()) {
  describe(`kill -9 and resume on ${backend.name}`, () => {
    after(() => backend.cleanup());
    const modes = backend.name === 'sqlite' ? ['inline', 'pool'] : ['inline'];
    for (const mode of modes) {
      it(`a ${N}-run sweep (${mode}) killed mid-way loses no stored run, and a second invocation completes exactly the rest`, async (t) => {
        if (backend.name === 'postgres' && !(await postgresAvailable())) return;
        const url = await backend.fresh();
        const first = startSweep(url, mode);
        await until(() => first.finished.size >= 300, first.child, '300 runs finished');
        // Wait for a first write, then note what is stored: all of it must survive the kill.
        let before = await storedDone(url);
        while (before.size === 0) {
          await until(() => first.finished.size >= 300, first.child, 'a first write');
          before = await storedDone(url);
        }
        first.child.kill('SIGKILL');
        assert.equal(await first.exited, null, 'the sweep was killed, not finished');
        const finished = first.finished.size;
        assert.ok(finished < N, `the kill came mid-sweep (${finished} finished)`);

        const stored = await storedDone(url);
        for (const x of before) assert.ok(stored.has(x), `run x=${x} was stored before the kill and is still there`);
        const lost = [...first.finished].filter((x) => !stored.has(x));
        t.diagnostic(
          `kill -9 (${mode}): ${finished} runs had finished their steps, ${stored.size} were stored, ` +
            `${lost.length} finished but not yet flushed (re-executed on resume)`,
        );
        if (backend.name === 'sqlite') {
          const db = new Database(url, { readonly: true });
          assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
          db.close();
        }

        const second = startSweep(url, mode);
        assert.equal(await second.exited, 0, second.errors());
        const line = second
          .output()
          .split('\n')
          .find((l) => l.startsWith('SUMMARY '));
        assert.ok(line, 'the resumed sweep printed its summary');
        const summary = JSON.parse(line.slice(8)) as { executed: number; skipped: number; done: number };
        assert.equal(summary.skipped, stored.size, 'stored runs are skipped');
        assert.equal(summary.executed, N - stored.size, 'exactly the rest executes');
        assert.equal(summary.done, N - stored.size);
        for (const x of second.finished) assert.ok(!stored.has(x), `run x=${x} was done and ran again`);

        const s = await createSession(url);
        const [row] = await s.query(
          `SELECT COUNT(*) AS n, COUNT(DISTINCT x) AS xs, SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done FROM experiment_sweep`,
        );
        await s.close();
        assert.deepEqual([Number(row?.n), Number(row?.xs), Number(row?.done)], [N, N, N]);
      });
    }
  });
}
