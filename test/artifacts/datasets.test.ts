import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createSession, isLockstepError } from '../../src/index.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';

const CSV = 'sepal_length,species,flag\n5.1,setosa,true\n4.9,setosa,\n7,versicolor,false\n';

for (const backend of backends()) {
  describe(`datasets (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('register infers the schema, versions by content, and runs record what they used', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const dir = tempDir();
      const session = await createSession(await backend.fresh(), {
        artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
      });
      const file = join(dir, 'iris.csv');
      writeFileSync(file, CSV);
      const v1 = await session.registerDataset('iris', file, { source: 'UCI' });
      assert.equal(v1.version, '1');
      assert.equal(v1.kind, 'file');
      assert.equal(v1.size, CSV.length);
      assert.deepEqual(v1.schema?.['']?.columns, [
        { name: 'sepal_length', type: 'number', nullable: false },
        { name: 'species', type: 'string', nullable: false },
        { name: 'flag', type: 'boolean', nullable: true },
      ]);
      assert.equal(v1.schema?.['']?.rows, 3);
      // unchanged content: the same version comes back
      assert.equal((await session.registerDataset('iris', file)).id, v1.id);
      writeFileSync(file, `${CSV}6.3,virginica,true\n`);
      const v2 = await session.registerDataset('iris', file);
      assert.equal(v2.version, '2');
      assert.notEqual(v2.digest, v1.digest);
      await assert.rejects(session.registerDataset('iris', file, { version: '1' }), (e) =>
        isLockstepError(e, 'E_CONFLICT'),
      );

      // a directory of JSON files
      const jdir = join(dir, 'j');
      mkdirSync(join(jdir, 'part'), { recursive: true });
      writeFileSync(join(jdir, 'part', 'a.json'), JSON.stringify([{ x: 1, tags: ['a'] }, { x: 2.5 }]));
      writeFileSync(join(jdir, 'b.jsonl'), '{"y":"a"}\n{"y":3}\n');
      const j = await session.registerDataset('events', jdir, { version: 'v2024' });
      assert.equal(j.fileCount, 2);
      assert.deepEqual(j.schema?.['part/a.json']?.columns, [
        { name: 'x', type: 'number', nullable: false },
        { name: 'tags', type: 'array', nullable: true },
      ]);
      assert.equal(j.schema?.['b.jsonl']?.columns[0]?.type, 'mixed');

      const exp = await session.createExperiment('uses');
      let paths: string[] = [];
      const run = await exp.run(async (r) => {
        paths = [await r.useDataset('iris', '1'), await r.useDataset('events'), await r.useDataset('iris', '1')];
      });
      assert.equal(readFileSync(paths[0] as string, 'utf8'), CSV);
      assert.equal(paths[0], paths[2]);
      assert.equal(readFileSync(join(paths[1] as string, 'part', 'a.json'), 'utf8').startsWith('[{"x":1'), true);
      const used = await session.datasets.usedBy(run.id);
      assert.deepEqual(
        used.map((d) => `${d.name}@${d.version}`),
        ['events@v2024', 'iris@1'],
      );
      const rows = await session.query('SELECT COUNT(*) AS n FROM dataset_uses');
      assert.equal(Number(rows[0]?.n), 2);
      assert.deepEqual(
        (await session.datasets.list()).map((d) => `${d.name}@${d.version}`),
        ['events@v2024', 'iris@2', 'iris@1'],
      );
      await assert.rejects(
        exp.run(async (r) => {
          await r.useDataset('nope');
        }),
        /no dataset named "nope"/,
      );
      await session.datasets.delete('iris', '2');
      assert.deepEqual(
        (await session.datasets.list('iris')).map((d) => d.version),
        ['1'],
      );
      await assert.rejects(session.datasets.get('iris', '2'), (e) => isLockstepError(e, 'E_NOT_FOUND'));
      await session.close();
    });

    test('gc removes only unreferenced blobs and reports what it freed', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const dir = tempDir();
      const session = await createSession(await backend.fresh(), {
        artifacts: { blobs: join(dir, 'blobs'), cache: join(dir, 'cache') },
      });
      const exp = await session.createExperiment('gc');
      const run = await exp.run(async (r) => {
        await r.logArtifact('a.txt', Buffer.from('first'));
        await r.logArtifact('keep.txt', Buffer.from('kept'));
      });
      const file = join(dir, 'd.csv');
      writeFileSync(file, 'a\n1\n');
      await session.registerDataset('d', file);
      // replacing the artifact leaves "first" unreferenced
      await exp.run(async (r) => {
        await r.logArtifact('a.txt', Buffer.from('second!'));
      });
      await session.artifacts.log(exp.id, run.id, 'a.txt', Buffer.from('second!'));
      const young = await session.artifactHub.gc({ dryRun: true });
      assert.equal(young.removed.length, 0);
      assert.equal(young.young, 1);
      const dry = await session.artifactHub.gc({ dryRun: true, graceMs: 0 });
      assert.deepEqual(
        dry.removed.map((b) => b.size),
        [5],
      );
      assert.equal(dry.freedBytes, 5);
      assert.equal(dry.scanned, 4);
      assert.equal(dry.referenced, 3);
      const real = await session.artifactHub.gc({ graceMs: 0 });
      assert.equal(real.freedBytes, 5);
      const again = await session.artifactHub.gc({ graceMs: 0 });
      assert.equal(again.scanned, 3);
      assert.equal(again.removed.length, 0);
      assert.equal((await session.artifacts.read(run.id, 'keep.txt')).toString(), 'kept');
      // deleting the experiment leaves its artifacts orphaned: gc drops their rows and blobs, the dataset stays
      await session.deleteExperiment('gc');
      const orphanDry = await session.artifactHub.gc({ graceMs: 0, dryRun: true });
      assert.equal(orphanDry.orphanArtifacts, 3);
      assert.equal(orphanDry.removed.length, 2);
      assert.equal(Number((await session.query('SELECT COUNT(*) AS n FROM artifacts'))[0]?.n), 3);
      const orphaned = await session.artifactHub.gc({ graceMs: 0 });
      assert.deepEqual(orphaned.removed.map((b) => b.size).sort(), [4, 7]);
      assert.equal(Number((await session.query('SELECT COUNT(*) AS n FROM artifacts'))[0]?.n), 0);
      assert.equal((await session.artifactHub.gc({ graceMs: 0 })).scanned, 1);
      // a young orphan is kept: its run may still be executing
      const exp2 = await session.createExperiment('young');
      await session.artifacts.log(exp2.id, 'not-written-yet', 'x.txt', Buffer.from('young'));
      assert.equal((await session.artifactHub.gc({ dryRun: true })).orphanArtifacts, 0);
      await session.close();
    });
  });
}

describe('rclone blob store', () => {
  test('artifacts go to an rclone remote and come back; gc lists and deletes there', async (t) => {
    const { execFileSync } = await import('node:child_process');
    try {
      execFileSync('rclone', ['version'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI === 'true') throw new Error('rclone is required in CI');
      return t.skip('rclone not installed');
    }
    const dir = tempDir();
    const session = await createSession(join(dir, 'db.sqlite'), {
      artifacts: { blobs: `:local:${join(dir, 'remote')}`, cache: join(dir, 'cache') },
    });
    const exp = await session.createExperiment('remote');
    const run = await exp.run(async (r) => {
      await r.logArtifact('x.txt', Buffer.from('over rclone'));
      await r.logArtifact('x.txt', Buffer.from('replaced'));
    });
    assert.equal((await session.artifacts.read(run.id, 'x.txt')).toString(), 'replaced');
    const report = await session.artifactHub.gc({ graceMs: 0 });
    assert.equal(report.scanned, 2);
    assert.equal(report.removed.length, 1);
    assert.equal(report.freedBytes, 'over rclone'.length);
    assert.equal((await session.artifactHub.gc({ graceMs: 0 })).scanned, 1);
    await session.close();
    // the remote is recorded in the database: a session that names no store finds the same blobs
    const again = await createSession(join(dir, 'db.sqlite'));
    assert.equal((await again.artifacts.read(run.id, 'x.txt')).toString(), 'replaced');
    assert.equal(again.artifactHub.ctx.blobs.location, `:local:${join(dir, 'remote')}`);
    await again.close();
  });
});
