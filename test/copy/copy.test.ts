// Moving experiments between databases: SQLite → PostgreSQL → SQLite, again (nothing added), merged, and from a server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lock } from '../../src/lock/lock.ts';
import { setTags } from '../../src/search/tags.ts';
import { startServer } from '../../src/server/index.ts';
import { createSession, type Session } from '../../src/session.ts';
import { dropSchema, pgSchemaUrl, postgresAvailable, sqlReader, tempDir } from '../helpers.ts';
import { makeRepo, write } from '../lock/fixtures.ts';

const CLI = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

/** `lockstep ARGS…` without blocking this process (which may be serving the source). */
function lockstep(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

/** Everything a session loads back about an experiment, in a form to compare across databases. */
async function snapshot(s: Session, name: string) {
  const exp = await s.loadExperiment(name);
  const records = (await s.store.readRuns(await s.store.requireExperiment(name))).sort((a, b) =>
    a.id < b.id ? -1 : 1,
  );
  const runs = exp.runs
    .map((r) => ({
      id: r.id,
      params: r.params,
      config: r.config,
      fields: r.fields,
      status: r.status,
      error: r.error,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      attempt: r.attempt,
      steps: r.steps,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const count = async (table: string) =>
    Number((await s.query(`SELECT COUNT(*) AS n FROM ${table} WHERE experiment_id = '${exp.id}'`))[0]?.n);
  const points: Record<string, unknown> = {};
  for (const r of records) points[r.id] = await s.store.readMetrics(await s.store.requireExperiment(name), r.id);
  return {
    experiment: { id: exp.id, name: exp.name, description: exp.description },
    runs,
    records,
    points,
    metrics: await count('metrics'),
    archive: await count('metrics_archive'),
    tags: await count('run_tags'),
  };
}

/** A source experiment with every kind of value, two attempts of metrics, tags, locks with lineage, artifacts, a model version and a dataset. */
async function fill(s: Session, dir: string): Promise<void> {
  const exp = await s.createExperiment('iris', { description: 'the main job' });
  exp.addRuns({ k: [1, 2, 3], model: ['knn', 'cart'] });
  write(dir, 'data/iris.csv', 'a,b\n1,2\n');
  await s.registerDataset('iris-data', join(dir, 'data/iris.csv'));
  const step = async (run: import('../../src/index.ts').Run) => {
    const k = run.params.k as number;
    run.fields.when = new Date(Date.UTC(2024, 1, k));
    run.fields.big = 2n ** 62n + BigInt(k);
    run.fields.lookup = new Map<string, unknown>([['k', k]]);
    run.fields.vec = new Float64Array([k, 0.5]);
    run.fields.nested = { a: [1, 'two', null], b: { c: true } };
    run.fields.mixed = k === 2 ? 'two' : k; // one column, two types: binary-encoded
    run.fields.bytes = new Uint8Array([k, 255]);
    run.fields.flag = k % 2 === 0;
    for (let i = 0; i < 4; i++) run.log('loss', 1 / (i + k), i);
    run.log('acc', k / 10);
    if (k === 1) await run.logArtifact('model.json', Buffer.from(JSON.stringify({ k, model: run.params.model })));
    if (k === 2) {
      // biome-ignore lint/correctness/useHookAtTopLevel: a run's method, not a React hook
      await run.useDataset('iris-data');
    }
    if (k === 3 && run.params.model === 'cart') throw new Error('cart cannot do three');
  };
  await exp.execute(step, { config: { folds: 5 }, quiet: true });
  // a second attempt of every run: the first attempt's points go to metrics_archive
  await exp.execute(step, { config: { folds: 5 }, quiet: true, rerun: true });
  await exp.run({ adhoc: true }, (run) => {
    run.fields.note = 'not a grid run';
    run.log('x', 1);
  });
  const first = exp.runs.filter((r) => r.params.k === 1 && r.params.model === 'knn')[0];
  assert.ok(first);
  await setTags(s.store.driver, exp.id, first.id, { 'mlflow.runName': 'best', owner: 'ana' });
  const root = makeRepo();
  const prep = await lock({ path: join(root, 'results/prep'), repos: [root], store: s, cache: false });
  write(root, 'results/prep/out.csv', 'x\n');
  await lock({
    path: join(root, 'results/train'),
    repos: [root],
    store: s,
    cache: false,
    prevs: [join(root, 'results/prep')],
    run: { experiment: 'iris', id: first.id },
  });
  assert.ok(prep.lock.id);
  await s.models.registerFiles('iris-model', {
    files: [],
    source: 'elsewhere',
    runId: first.id,
    experimentId: exp.id,
    aliases: ['champion'],
  });
}

describe('lockstep copy', () => {
  const pg = pgSchemaUrl();
  let available = false;
  before(async () => {
    available = await postgresAvailable();
  });
  after(() => dropSchema(pg.schema));

  test('SQLite → PostgreSQL → SQLite: loadExperiment deep-equal at both ends, metric counts equal; again adds nothing', async (t) => {
    if (!available) return t.skip('PostgreSQL unavailable');
    const dir = tempDir();
    const a = await createSession(join(dir, 'a.db'));
    const b = await createSession(pg.url, {
      artifacts: { blobs: join(dir, 'pg-blobs'), cache: join(dir, 'pg-cache') },
    });
    const c = await createSession(join(tempDir(), 'c.db'));
    try {
      await fill(a, dir);
      const origin = await snapshot(a, 'iris');
      assert.equal(origin.runs.length, 7);
      assert.ok(origin.archive > 0, 'earlier attempts have points');
      assert.ok(origin.records.some((r) => r.steps?.length && r.host && r.pid && r.executor));

      const there = await a.copyExperiment('iris', b);
      assert.equal(there.created, true);
      assert.equal(there.runs, 7);
      assert.equal(there.points, origin.metrics);
      assert.equal(there.archivedPoints, origin.archive);
      assert.equal(there.locks, 2, 'the run’s lock and its previous stage');
      assert.equal(there.artifacts, 2);
      assert.equal(there.models, 1);
      assert.equal(there.datasets, 1);
      assert.deepEqual(await snapshot(b, 'iris'), origin);

      const back = await b.copyExperiment('iris', c);
      assert.deepEqual(await snapshot(c, 'iris'), origin);
      assert.equal(back.runs, 7);

      // what came along with the runs, at the far end
      const first = origin.runs.find((r) => r.params.k === 1 && r.params.model === 'knn') as { id: string };
      assert.equal((await c.artifacts.read(first.id, 'model.json')).toString(), '{"k":1,"model":"knn"}');
      const v = await c.models.version('iris-model', 1);
      assert.equal(v.runId, first.id);
      assert.equal((await c.models.get('iris-model')).aliases.champion, 1);
      assert.deepEqual(
        (await c.datasets.list()).map((d) => d.name),
        ['iris-data'],
      );
      const locks = await c.query('SELECT run_id, content FROM locks ORDER BY created_at');
      assert.equal(locks.length, 2);
      assert.equal(locks[1]?.run_id, first.id);

      // copying again adds nothing
      const again = await a.copyExperiment('iris', b);
      assert.deepEqual(
        [again.created, again.runs, again.unchanged, again.points, again.locks, again.models, again.datasets],
        [false, 0, 7, 0, 0, 0, 0],
      );
      assert.deepEqual(await snapshot(b, 'iris'), origin);
      for (const table of ['locks', 'artifacts', 'stored_files', 'model_versions', 'datasets', 'run_tags'])
        assert.equal(
          Number((await b.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n),
          Number((await a.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n),
          table,
        );

      // a run added at the source merges into the destination's experiment: only it is written
      const exp = await a.loadExperiment('iris');
      const added = exp.addRun({ k: 4, model: 'knn' });
      exp.runs.remove(new Set(exp.runs.map((r) => r.id).filter((id) => id !== added.id)));
      await exp.execute((run) => run.log('loss', 0.1, 0), { quiet: true });
      const merged = await a.copyExperiment('iris', c);
      assert.deepEqual([merged.created, merged.runs, merged.unchanged], [false, 1, 7]);
      assert.deepEqual(await snapshot(c, 'iris'), await snapshot(a, 'iris'));

      // an experiment of the same name made elsewhere: grid runs meet by their params, not by id
      const e = await createSession(join(tempDir(), 'e.db'));
      try {
        const mine = await e.createExperiment('iris');
        mine.addRun({ k: 1, model: 'knn' });
        await mine.execute((run) => run.log('loss', 9, 0), { quiet: true });
        const into = await a.copyExperiment('iris', e);
        assert.deepEqual([into.created, into.runs], [false, 8]);
        const rows = await e.query('SELECT run_id, params_key FROM experiment_iris');
        assert.equal(rows.length, 8, 'the run of k=1, knn is one row, not two');
        assert.equal(new Set(rows.map((r) => r.params_key)).size, 8);
        assert.ok(
          rows.some((r) => r.run_id === mine.runs.first().id),
          'it kept the id it has there',
        );
      } finally {
        await e.close();
      }
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });

  test('from a server: runs, current and archived points, tags and locks; the CLI reports progress', async () => {
    const dir = tempDir();
    const a = await createSession(join(dir, 'a.db'));
    await fill(a, dir);
    const origin = await snapshot(a, 'iris');
    const server = await startServer({ session: a, port: 0, uiRoot: false, sql: await sqlReader(a) });
    const dest = join(tempDir(), 'd.db');
    try {
      const r = await lockstep('copy', server.url, dest, '--experiment', 'iris');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /copy iris: reading/);
      assert.match(r.stderr, /copy iris: done \(7\/7 runs\)/);
      assert.match(r.stdout, /iris: created; 7 run\(s\) copied, 0 already there/);
      assert.match(r.stdout, /note: artifacts, datasets and model versions are not copied from a server/);
      const d = await createSession(dest);
      try {
        const got = await snapshot(d, 'iris');
        assert.deepEqual(got.runs, origin.runs);
        assert.deepEqual(got.records, origin.records);
        assert.deepEqual([got.metrics, got.archive, got.tags], [origin.metrics, origin.archive, origin.tags]);
        assert.equal(Number((await d.query('SELECT COUNT(*) AS n FROM locks'))[0]?.n), 2);
      } finally {
        await d.close();
      }
      const missing = spawnSync(process.execPath, [...CLI, 'copy', join(dir, 'a.db'), dest, '--experiment', 'nope'], {
        encoding: 'utf8',
      });
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /no experiment "nope" .*\(it has: iris\)/);
      const same = spawnSync(process.execPath, [...CLI, 'copy', join(dir, 'a.db'), join(dir, 'a.db')], {
        encoding: 'utf8',
      });
      assert.equal(same.status, 2);
      assert.match(same.stderr, /the source and the destination are the same database/);
    } finally {
      await server.close();
      await a.close();
    }
  });
});
