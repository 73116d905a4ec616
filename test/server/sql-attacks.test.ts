// The read-only SQL endpoint under attack: every statement a read token might
// send to write, run programs, read server files, poison pooled connections or
// stall the server, on both backends. Each check looks at the answer and at
// the database afterwards.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createServer } from '../../src/server/index.ts';
import type { Session } from '../../src/session.ts';
import { backends, freshSession, PG_URL, runCli, sqlReader, tempDir } from '../helpers.ts';

const READ = 'read-token-0123456789';
const WRITE = 'write-token-0123456789';
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

/** What must not change: the tables, the run, its field, and the experiments. */
async function snapshot(session: Session, schema: string | undefined) {
  const tables = schema
    ? (
        await session.query(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
          [schema],
        )
      ).map((r) => r.t)
    : (await session.query("SELECT name AS t FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY 1")).map(
        (r) => r.t,
      );
  const runs = await session.query('SELECT run_id, acc FROM experiment_x ORDER BY run_id');
  const experiments = (await session.listExperiments()).map((e) => [e.name, e.description]);
  return { tables, runs, experiments };
}

for (const backend of backends()) {
  describe(`SQL endpoint under attack on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const session = await freshSession(backend);
    if (!session) return;
    after(() => session.close());
    const pgSchema = backend.name === 'postgres' ? (session.store.driver as { schema?: string }).schema : undefined;
    const exp = await session.createExperiment('x');
    await exp.run({ k: 1 }, (r) => {
      r.fields.acc = 0.5;
    });
    const reader = await sqlReader(session);
    const app = await createServer({
      session,
      tokens: { read: [READ], write: [WRITE] },
      uiRoot: false,
      sql: { timeoutMs: 1500, ...reader },
    });
    after(() => app.close());
    const before = await snapshot(session, pgSchema);
    const sql = (text: string, token = READ) =>
      app.inject({ method: 'POST', url: '/api/v1/sql', payload: { sql: text }, headers: auth(token) });
    const marker = join(tempDir(), 'ran');
    const t = pgSchema ? `"${pgSchema}".experiment_x` : 'experiment_x';

    const refused =
      backend.name === 'postgres'
        ? [
            `COMMIT; DROP TABLE ${t}; SELECT 3`,
            'ROLLBACK; DELETE FROM experiment_x',
            'COMMIT; CREATE TABLE evil (a int)',
            'SELECT 1; SELECT 2',
            '/* hi */ COMMIT; DROP TABLE experiment_x',
            '-- hi\nDROP TABLE experiment_x',
            'COMMIT',
            'ROLLBACK',
            'BEGIN',
            'START TRANSACTION READ WRITE',
            'SET TRANSACTION READ WRITE',
            'DROP TABLE experiment_x',
            'DELETE FROM experiment_x',
            'TRUNCATE experiment_x',
            'UPDATE experiment_x SET acc = 0',
            'WITH d AS (DELETE FROM experiment_x RETURNING 1) SELECT * FROM d',
            'SELECT * FROM experiment_x FOR UPDATE',
            'SELECT * INTO evil FROM experiment_x',
            'EXPLAIN ANALYZE DELETE FROM experiment_x',
            "DO $$ BEGIN EXECUTE 'DROP TABLE experiment_x'; END $$",
            'CALL evil_proc()',
            'SET search_path = public',
            'SET statement_timeout = 0',
            'SET ROLE postgres',
            'SET SESSION AUTHORIZATION postgres',
            'RESET ROLE',
            `COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`,
            'COPY experiment_x TO STDOUT',
            "SELECT pg_read_file('/etc/hostname')",
            "SELECT * FROM pg_ls_dir('.')",
            "SELECT lo_import('/etc/hostname')",
            'LOCK TABLE experiment_x IN ACCESS EXCLUSIVE MODE',
            'VACUUM experiment_x',
            'CREATE FUNCTION lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 1::text $$',
            'GRANT ALL ON experiment_x TO PUBLIC',
            'ALTER ROLE CURRENT_USER SET statement_timeout = 0',
            "SELECT nextval('evil_seq')",
            'NOTIFY evil',
            'PREPARE p AS DELETE FROM experiment_x',
            "SELECT set_config('role', 'postgres', false)",
            'SELECT * FROM pg_authid',
          ]
        : [
            'SELECT 1; DROP TABLE experiment_x',
            'DROP TABLE experiment_x',
            'DELETE FROM experiment_x',
            'UPDATE experiment_x SET acc = 0',
            'WITH d AS (DELETE FROM experiment_x RETURNING 1) SELECT 1',
            `ATTACH DATABASE '${marker}' AS e`,
            `VACUUM INTO '${marker}'`,
            'PRAGMA writable_schema = 1',
            'PRAGMA query_only = 0',
            'PRAGMA journal_mode = DELETE',
            'CREATE TEMP TABLE evil (a)',
            'BEGIN',
            'COMMIT',
            'REINDEX',
            'ANALYZE',
            "SELECT load_extension('/tmp/evil')",
            "SELECT readfile('/etc/hostname')",
            `SELECT writefile('${marker}', 'x')`,
          ];

    it('refuses every statement that writes, runs programs, reads files or changes the connection', async () => {
      if (backend.name === 'postgres') {
        // a procedure that writes, owned by the tables' owner and callable by PUBLIC (PostgreSQL's default)
        await session.query('CREATE PROCEDURE evil_proc() LANGUAGE sql AS $$ DELETE FROM experiment_x $$');
        await session.query('CREATE SEQUENCE evil_seq');
      }
      const beforeHere = await snapshot(session, pgSchema);
      for (const text of refused) {
        const res = await sql(text);
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${text} → ${res.statusCode} ${res.body}`);
        assert.equal(res.json().error.code, 'E_SQL', text);
      }
      assert.deepEqual(await snapshot(session, pgSchema), beforeHere);
      assert.equal(existsSync(marker), false, 'no program ran and no file was written');
      if (backend.name === 'postgres') {
        await session.query('DROP PROCEDURE evil_proc()');
        await session.query('DROP SEQUENCE evil_seq');
      }
      assert.deepEqual(await snapshot(session, pgSchema), before);
    });

    it('still answers what reads', async () => {
      const res = await sql('SELECT run_id, acc FROM experiment_x');
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().rows[0][1], 0.5);
      const withComment = await sql(
        backend.name === 'postgres'
          ? '/* a /* nested */ comment */ (SELECT 1 AS one)'
          : '/* a comment */ SELECT 1 AS one',
      );
      assert.equal(withComment.statusCode, 200, withComment.body);
      assert.deepEqual(withComment.json().rows, [[1]]);
    });

    it('keeps runaway statements to their time limit and the rest of the server responsive', async () => {
      const sleeps =
        backend.name === 'postgres'
          ? [
              'SELECT pg_sleep(20)',
              'SET statement_timeout = 0; SELECT pg_sleep(20)',
              "SELECT set_config('statement_timeout', '0', false), pg_sleep(20)",
            ]
          : ['WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c'];
      const started = Date.now();
      const all = Array.from({ length: 10 }, (_, i) => sql(sleeps[i % sleeps.length] as string));
      // meanwhile, reads and writes of the API answer at once
      const t0 = Date.now();
      const list = await app.inject({ url: '/api/v1/experiments', headers: auth(READ) });
      assert.equal(list.statusCode, 200);
      const write = await app.inject({
        method: 'POST',
        url: '/api/v1/experiments',
        payload: { name: 'after_sleep' },
        headers: auth(WRITE),
      });
      assert.equal(write.statusCode, 201, write.body);
      assert.ok(Date.now() - t0 < 1500, `the API waited ${Date.now() - t0} ms behind the SQL endpoint`);
      for (const res of await Promise.all(all)) {
        assert.ok(res.statusCode === 400 || res.statusCode === 503, res.body);
        assert.match(res.json().error.message, /longer than|single|multiple commands|busy|only one statement/);
      }
      // 10 statements, 4 at a time, each stopped at 1.5 s: far from 10 × 20 s
      assert.ok(Date.now() - started < 12_000, `took ${Date.now() - started} ms`);
      await session.deleteExperiment('after_sleep');
    });

    if (backend.name !== 'postgres') return;

    it('leaves the pooled connections in lockstep’s schema and nothing behind', async () => {
      // these run, but only inside a transaction that is rolled back on a connection that is then closed
      const lobs = async () => Number((await session.query('SELECT COUNT(*) AS n FROM pg_largeobject_metadata'))[0]?.n);
      const lobsBefore = await lobs();
      for (const text of [
        "SELECT set_config('search_path', 'public', false)",
        'SELECT pg_advisory_lock(42)',
        "SELECT lo_from_bytea(0, 'x')",
      ]) {
        const res = await sql(text);
        assert.equal(res.statusCode, 200, res.body);
      }
      assert.equal(await lobs(), lobsBefore);
      const mlflow = await app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/experiments/create',
        payload: { name: 'poison_check' },
        headers: auth(WRITE),
      });
      assert.equal(mlflow.statusCode, 200, mlflow.body);
      const [row] = await session.query('SELECT COUNT(*) AS n FROM experiments WHERE name = $1', ['poison_check']);
      assert.equal(Number(row?.n), 1);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const stray = await client.query(
        "SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'experiments'",
      );
      const locks = await client.query("SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
      await client.end();
      assert.equal(stray.rows[0].n, 0);
      assert.equal(locks.rows[0].n, 0, 'the advisory lock ended with its connection');
      await session.deleteExperiment('poison_check');
    });

    it('cannot reach another database through dblink', async () => {
      const [avail] = await session.query(
        "SELECT COUNT(*)::int AS n FROM pg_available_extensions WHERE name = 'dblink'",
      );
      const [installed] = await session.query("SELECT COUNT(*)::int AS n FROM pg_extension WHERE extname = 'dblink'");
      if (Number(avail?.n) === 0 || Number(installed?.n) > 0) return; // absent, or another schema's
      await session.query(`CREATE EXTENSION dblink SCHEMA "${pgSchema}"`);
      try {
        const res = await sql(`SELECT dblink_exec('dbname=test user=postgres', 'DROP TABLE ${t}')`);
        assert.equal(res.statusCode, 400, res.body);
        assert.deepEqual((await snapshot(session, pgSchema)).runs, before.runs);
      } finally {
        await session.query('DROP EXTENSION dblink');
      }
    });

    it('refuses to run SQL as a superuser or a role that can write, unless allowed', async () => {
      const asSuper = await createServer({ session, uiRoot: false, sql: { timeoutMs: 1500 } });
      const res = await asSuper.inject({ method: 'POST', url: '/api/v1/sql', payload: { sql: 'SELECT 1' } });
      await asSuper.close();
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'E_FORBIDDEN');
      assert.match(res.json().error.message, /superuser.*grant-readonly/);

      const role = `r_${pgSchema}`;
      await session.query(`GRANT INSERT ON experiments TO "${role}"`);
      const writer = await sql('SELECT 1');
      await session.query(`REVOKE INSERT ON experiments FROM "${role}"`);
      assert.equal(writer.statusCode, 403);
      assert.match(writer.json().error.message, /may write lockstep's tables/);

      const allowed = await createServer({
        session,
        uiRoot: false,
        sql: { timeoutMs: 1500, allowPrivilegedRole: true },
      });
      const ok = await allowed.inject({ method: 'POST', url: '/api/v1/sql', payload: { sql: 'SELECT 1 AS a' } });
      const multi = await allowed.inject({
        method: 'POST',
        url: '/api/v1/sql',
        payload: { sql: `COMMIT; DROP TABLE ${t}; SELECT 3` },
      });
      await allowed.close();
      assert.equal(ok.statusCode, 200);
      assert.equal(multi.statusCode, 400);
      assert.deepEqual((await snapshot(session, pgSchema)).tables, before.tables);
    });

    it('provisions the reader role from the command line', async () => {
      const role = `r_${pgSchema}`;
      const out = await runCli([
        'db',
        'grant-readonly',
        '--db',
        `${PG_URL}?schema=${pgSchema}`,
        '--role',
        role,
        '--connection-limit',
        '3',
      ]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, new RegExp(`role ${role} may read \\d+ table`));
      const url = /LOCKSTEP_SQL_URL='([^']+)'/.exec(out.stdout)?.[1] as string;
      assert.match(url, new RegExp(`^postgres://${role}:[^@]+@`));
      const [r] = await session.query('SELECT rolconnlimit, rolsuper FROM pg_roles WHERE rolname = $1', [role]);
      assert.deepEqual(r, { rolconnlimit: 3, rolsuper: false });
      // tables created later are readable too (default privileges)
      await session.createExperiment('later');
      const later = await sql('SELECT COUNT(*) AS n FROM experiment_later');
      assert.equal(later.statusCode, 200, later.body);
      const bad = await runCli(['db', 'grant-readonly', '--db', join(tempDir(), 'a.db')]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /is for PostgreSQL/);
      rmSync(marker, { force: true });
    });
  });
}
