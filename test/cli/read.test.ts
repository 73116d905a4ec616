import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { runCli, tempDir } from '../helpers.ts';

const cli = runCli;

describe('lockstep read commands', () => {
  const db = join(tempDir(), 'cli.db');
  let firstId = '';

  before(async () => {
    const s = await createSession(db);
    const exp = await s.createExperiment('sweep', { description: 'cli fixture' });
    exp.addRuns({ lr: [0.1, 0.01], depth: [2, 4] });
    await exp.execute((r) => {
      r.fields.acc = (r.params.depth as number) / 10 + (r.params.lr as number);
      r.fields.curve = [1, 2, 3];
      r.log('loss', 0.5);
      r.log('loss', 0.25);
    });
    firstId = exp.runs.first().id;
    await s.close();
  });

  it('ls lists experiments as CSV when piped and JSON on request', async () => {
    const csv = await cli(['ls', '--db', db]);
    assert.equal(csv.code, 0);
    assert.match(csv.stdout, /^name,runs,createdAt,updatedAt,description,tableName,id\nsweep,4,/);
    const json = JSON.parse((await cli(['ls', '--db', db, '--json'])).stdout);
    assert.equal(json[0].name, 'sweep');
    assert.equal(json[0].runs, 4);
  });

  it('runs sorts, filters with --where, limits and chooses columns', async () => {
    const out = await cli(['runs', 'sweep', '--db', db, '--sort', '-acc', '--limit', '2', '--columns', 'lr,depth,acc']);
    assert.equal(out.code, 0);
    assert.equal(out.stdout, `lr,depth,acc\n0.1,4,0.5\n0.01,4,${4 / 10 + 0.01}\n`);
    const where = await cli(['runs', 'sweep', '--db', db, '--where', 'depth = 2 AND lr > 0.05', '--json']);
    const rows = JSON.parse(where.stdout);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].curve, [1, 2, 3]);
    assert.equal(rows[0].acc, 0.30000000000000004);
  });

  it('runs shows the live-run columns on request', async () => {
    const out = await cli([
      'runs',
      'sweep',
      '--db',
      db,
      '--limit',
      '1',
      '--columns',
      'status,run_attempt,run_executor',
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'status,run_attempt,run_executor\ndone,1,inline\n');
  });

  it('LOCKSTEP_DB selects the database when --db is absent', async () => {
    const out = await cli(['runs', 'sweep', '--csv', '--columns', 'depth'], { LOCKSTEP_DB: db });
    assert.equal(out.stdout.trim().split('\n').length, 5);
  });

  it('show finds a run by id prefix and prints params, fields and metrics', async () => {
    const out = await cli(['show', 'sweep', firstId.slice(0, 8), '--db', db]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`run\\s+${firstId}`));
    assert.match(out.stdout, /params\n {2}lr: 0\.1\n {2}depth: 2/);
    assert.match(out.stdout, /loss\s+│ 2\s+│ 0\.25/);
    const json = JSON.parse((await cli(['show', 'sweep', firstId, '--db', db, '--json'])).stdout);
    assert.equal(json.metrics[0].points, 2);
  });

  it('sql and export print machine formats', async () => {
    const sql = await cli([
      'sql',
      'SELECT depth, COUNT(*) AS n FROM experiment_sweep GROUP BY depth ORDER BY depth',
      '--db',
      db,
    ]);
    assert.equal(sql.stdout, 'depth,n\n2,2\n4,2\n');
    const exported = JSON.parse((await cli(['export', 'sweep', '--format', 'json', '--db', db])).stdout);
    assert.equal(exported.length, 4);
    assert.ok(exported.every((r: { status: string }) => r.status === 'done'));
    const csv = await cli(['export', 'sweep', '--format', 'csv', '--db', db]);
    assert.match(csv.stdout.split('\n')[1] ?? '', /"\[1,2,3\]"/);
  });

  it('sql binds values to its placeholders, typed: numbers, booleans, null, "quoted" strings, else text', async () => {
    const sql = (...args: string[]) => cli(['sql', ...args, '--db', db]);
    const picked = await sql(
      'SELECT depth, lr FROM experiment_sweep WHERE depth = ? AND lr > ? ORDER BY lr',
      '4',
      '0.05',
    );
    assert.equal(picked.code, 0, picked.stderr);
    assert.equal(picked.stdout, 'depth,lr\n4,0.1\n');
    const done = await sql('SELECT COUNT(*) AS n FROM experiment_sweep WHERE status = ?', 'done');
    assert.equal(done.stdout, 'n\n4\n');
    const typed = JSON.parse(
      (
        await sql(
          'SELECT typeof(?) AS a, typeof(?) AS b, ? IS NULL AS c, ? = 1 AS d, ? AS e, ? AS f, ? AS g, ? AS h',
          '-1',
          '"7"',
          'null',
          'true',
          '[1, 2]',
          '9007199254740993',
          'text with spaces',
          '2.5e3',
          '--json',
        )
      ).stdout,
    );
    assert.deepEqual(typed, [
      // better-sqlite3 binds every JS number as a REAL; a boolean is stored (and bound) as 1/0 on SQLite
      { a: 'real', b: 'text', c: 1, d: 1, e: '[1, 2]', f: '9007199254740993', g: 'text with spaces', h: 2500 },
    ]);
  });

  it('bad input is one clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['runs', 'nope', '--db', db], /no experiment named "nope" \(experiments: sweep\)/],
      [['runs', 'sweep', '--db', db, '--sort', 'acx'], /unknown column "acx"; did you mean "acc"\?/],
      [['runs', 'sweep', '--db', db, '--where', 'nosuch > 1'], /no such column: nosuch/],
      [['runs', 'sweep', '--db', db, '--limit', '0'], /--limit must be a positive integer/],
      [['sql', 'SELEKT 1', '--db', db], /SQL error/],
      [['sql', 'SELECT ? AS a', '--db', db], /SQL error: .*\(1 placeholder value given: 0\)|Too few parameter/],
      [['show', 'sweep', 'zzzz', '--db', db], /no run whose id starts with "zzzz"/],
      [['export', 'sweep', '--format', 'xml', '--db', db], /--format must be csv or json/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, re] of cases) {
      const out = await cli(args);
      assert.equal(out.code, 2, `${args.join(' ')} → ${out.code} ${out.stderr}`);
      assert.match(out.stderr, re);
      assert.equal(
        out.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('(run with')).length,
        1,
        out.stderr,
      );
    }
  });
});
