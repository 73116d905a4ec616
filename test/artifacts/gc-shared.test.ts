// gc removes only what nothing references: blobs shared by several databases
// in one directory, and run directories that hold a tagged run.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createSession } from '../../src/index.ts';
import { gcLocks } from '../../src/lock/gc.ts';
import { lock } from '../../src/lock/lock.ts';
import { tagRuns } from '../../src/lock/tag.ts';
import { dropSchema, PG_URL, pgSchemaUrl, postgresAvailable, runCli, tempDir } from '../helpers.ts';
import { makeRepo, write } from '../lock/fixtures.ts';

describe('gc with shared blob stores and nested run directories', () => {
  test('two SQLite files in one directory: gc of one keeps the other’s blobs', async () => {
    const dir = tempDir();
    const a = await createSession(join(dir, 'a.db'));
    const b = await createSession(join(dir, 'b.db'));
    try {
      const ea = await a.createExperiment('ea');
      const eb = await b.createExperiment('eb');
      await ea.run(async (r) => {
        await r.logArtifact('x.txt', Buffer.from('only in a'));
      });
      const runB = await eb.run(async (r) => {
        await r.logArtifact('y.txt', Buffer.from('only in b'));
        await r.logArtifact('shared.txt', Buffer.from('in both'));
      });
      await ea.run(async (r) => {
        await r.logArtifact('shared.txt', Buffer.from('in both'));
      });
      // a's experiment goes: its unique blob is garbage, the shared one is still b's
      await a.deleteExperiment('ea');
      const out = await runCli(['gc', '--db', join(dir, 'a.db'), '--grace', '0']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /removed 1, freed/);
      assert.match(out.stdout, /2 referenced \(2 by another database sharing the store\)/);
      assert.equal((await b.artifacts.read(runB.id, 'y.txt')).toString(), 'only in b');
      assert.equal((await b.artifacts.read(runB.id, 'shared.txt')).toString(), 'in both');
      // once b.db is gone, its blobs are nobody's
      await b.close();
      await rm(join(dir, 'b.db'));
      const report = await a.artifactHub.gc({ graceMs: 0 });
      assert.equal(report.removed.length, 2);
      assert.deepEqual(
        readdirSync(join(dir, '.lockstep', 'blobs', 'databases')).length,
        1,
        'b.db’s record is forgotten, a.db’s stays',
      );
    } finally {
      await a.close();
      await b.close().catch(() => undefined);
    }
  });

  test('a database sharing the store that cannot be read stops gc before it removes anything', async () => {
    const dir = tempDir();
    const blobs = join(dir, 'blobs');
    const a = await createSession(join(dir, 'a.db'), { artifacts: { blobs } });
    const b = await createSession(join(dir, 'b.db'), { artifacts: { blobs } });
    try {
      const eb = await b.createExperiment('eb');
      const run = await eb.run(async (r) => {
        await r.logArtifact('y.txt', Buffer.from('b'));
      });
      await b.close();
      write(dir, 'b.db', 'not a database at all, but a file in its place');
      await assert.rejects(a.artifactHub.gc({ graceMs: 0 }), /cannot read the references of .*b\.db/);
      assert.equal(readdirSync(blobs).filter((n) => /^[0-9a-f]{2}$/.test(n)).length, 1, 'the blob is still there');
      assert.ok(run.id);
    } finally {
      await a.close();
    }
  });

  test('a PostgreSQL schema sharing the store counts; once dropped it is forgotten, not made again', async (t) => {
    if (!(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
    const dir = tempDir();
    const blobs = join(dir, 'blobs');
    const { url, schema } = pgSchemaUrl();
    const artifacts = { blobs, cache: join(dir, 'cache') };
    const lite = await createSession(join(dir, 'a.db'), { artifacts });
    const pgs = await createSession(url, { artifacts });
    try {
      await lite.createExperiment('e');
      const e = await pgs.createExperiment('e');
      await e.run(async (r) => {
        await r.logArtifact('p.txt', Buffer.from('in postgres'));
      });
      const kept = await lite.artifactHub.gc({ graceMs: 0 });
      assert.equal(kept.removed.length, 0);
      assert.equal(kept.sharedWith, 1);
      await pgs.close();
      await dropSchema(schema);
      const freed = await lite.artifactHub.gc({ graceMs: 0 });
      assert.equal(freed.removed.length, 1);
      const [row] = await lite.query('SELECT 1 AS one');
      assert.ok(row);
      const check = new pg.Client({ connectionString: PG_URL });
      await check.connect();
      const { rows } = await check.query('SELECT COUNT(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]);
      await check.end();
      assert.equal(rows[0].n, 0, 'gc did not create the dropped schema again');
    } finally {
      await lite.close();
      await pgs.close().catch(() => undefined);
      await dropSchema(schema);
    }
  });

  test('gc keeps the artifacts of a run still executing, whatever the grace period', async () => {
    const session = await createSession(join(tempDir(), 'r.db'));
    try {
      const exp = await session.createExperiment('long');
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let logged = () => {};
      const artifactLogged = new Promise<void>((r) => {
        logged = r;
      });
      const running = exp.run(async (r) => {
        await r.logArtifact('model.bin', Buffer.from('weights'));
        logged();
        await gate;
      });
      await artifactLogged;
      // the run's row exists from its start, with status running
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const rows = await session.query("SELECT status FROM experiment_long WHERE status = 'running'");
        if (rows.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const report = await session.artifactHub.gc({ graceMs: 0 });
      assert.equal(report.orphanArtifacts, 0, 'the artifact of the running run is not an orphan');
      assert.equal(report.removed.length, 0);
      release();
      const run = await running;
      assert.equal(run.status, 'done');
      assert.equal((await session.artifacts.read(run.id, 'model.bin')).toString(), 'weights');
    } finally {
      await session.close();
    }
  });

  test('gc --run-dirs keeps a directory that holds a tagged run', async () => {
    const session = await createSession(join(tempDir(), 'l.db'));
    try {
      const root = makeRepo();
      const opts = { repos: [root], store: session, cache: false as const };
      await lock({ ...opts, path: join(root, 'out'), name: 'parent' });
      await lock({ ...opts, path: join(root, 'out/b'), name: 'child' });
      await lock({ ...opts, path: join(root, 'lone'), name: 'lone' });
      await tagRuns('keep', [join(root, 'out/b')], { session });
      const dry = await gcLocks({ repo: root, session, runDirs: true, dryRun: true });
      assert.deepEqual(dry.runDirs, [join(root, 'lone')]);
      await gcLocks({ repo: root, session, runDirs: true });
      assert.equal(existsSync(join(root, 'out/b/run.lock')), true, 'the tagged child survives');
      assert.equal(existsSync(join(root, 'out/run.lock')), true);
      assert.equal(existsSync(join(root, 'lone')), false);
    } finally {
      await session.close();
    }
  });
});
