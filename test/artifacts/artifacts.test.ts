import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createSession, isLockstepError, type Session } from '../../src/index.ts';
import { backends, postgresAvailable, tempDir } from '../helpers.ts';

async function open(
  backend: ReturnType<typeof backends>[number],
): Promise<{ session: Session; blobs: string } | undefined> {
  if (backend.name === 'postgres' && !(await postgresAvailable())) return undefined;
  const dir = tempDir();
  const blobs = join(dir, 'blobs');
  const session = await createSession(await backend.fresh(), { artifacts: { blobs, cache: join(dir, 'cache') } });
  return { session, blobs };
}

function countBlobs(root: string): number {
  let n = 0;
  // fan-out folders only: `databases/` records who uses the store
  for (const fan of readdirSync(root).filter((f) => /^[0-9a-f]{2}$/.test(f))) n += readdirSync(join(root, fan)).length;
  return n;
}

for (const backend of backends()) {
  describe(`artifacts (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('files, bytes and directories are stored once per content, listed and downloaded', async (t) => {
      const opened = await open(backend);
      if (!opened) return t.skip('PostgreSQL unavailable');
      const { session, blobs } = opened;
      const src = tempDir();
      mkdirSync(join(src, 'tree', 'sub'), { recursive: true });
      writeFileSync(join(src, 'tree', 'a.txt'), 'alpha');
      writeFileSync(join(src, 'tree', 'sub', 'b.txt'), 'beta');
      writeFileSync(join(src, 'copy.txt'), 'alpha');
      const exp = await session.createExperiment('arts');
      const run = await exp.run({ k: 1 }, async (r) => {
        await r.logArtifact('notes.txt', Buffer.from('alpha'));
        await r.logArtifact('copy.txt', join(src, 'copy.txt'));
        await r.logArtifact('tree', join(src, 'tree'));
      });
      const list = await session.artifacts.list(run.id);
      assert.deepEqual(
        list.map((a) => [a.name, a.kind, a.size, a.fileCount]),
        [
          ['copy.txt', 'file', 5, 1],
          ['notes.txt', 'file', 5, 1],
          ['tree', 'dir', 9, 2],
        ],
      );
      // "alpha" three times and "beta" once: two blobs
      assert.equal(countBlobs(blobs), 2);
      assert.equal(list[0]?.digest, list[1]?.digest);
      assert.match(list[2]?.digest ?? '', /^[0-9a-f]{64}$/);

      const out = tempDir();
      await session.artifacts.download(run.id, 'tree', join(out, 'tree'));
      assert.equal(readFileSync(join(out, 'tree', 'sub', 'b.txt'), 'utf8'), 'beta');
      assert.equal((await session.artifacts.read(run.id, 'tree', 'a.txt')).toString(), 'alpha');
      assert.equal((await session.artifacts.read(run.id, 'notes.txt')).toString(), 'alpha');
      await assert.rejects(session.artifacts.read(run.id, 'missing'), (e) => isLockstepError(e, 'E_NOT_FOUND'));
      assert.equal(await session.artifacts.resolveRun(run.id.slice(0, 8)), run.id);
      await assert.rejects(session.artifacts.resolveRun('zzzz'), (e) => isLockstepError(e, 'E_NOT_FOUND'));
      await assert.rejects(session.artifacts.resolveRun("x' OR 1=1"), (e) => isLockstepError(e, 'E_INPUT'));
      await session.close();
    });

    test('names and symlinks that escape their directory are refused', async (t) => {
      const opened = await open(backend);
      if (!opened) return t.skip('PostgreSQL unavailable');
      const { session } = opened;
      const src = tempDir();
      const outside = tempDir();
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      mkdirSync(join(src, 'tree'));
      writeFileSync(join(src, 'tree', 'ok.txt'), 'ok');
      symlinkSync(join(outside, 'secret.txt'), join(src, 'tree', 'leak.txt'));
      mkdirSync(join(src, 'inner'));
      writeFileSync(join(src, 'inner', 'x.txt'), 'x');
      symlinkSync(join(src, 'inner', 'x.txt'), join(src, 'inner', 'alias.txt'));
      const exp = await session.createExperiment('escape');
      const errors: string[] = [];
      await exp.run(async (r) => {
        for (const [name, source] of [
          ['../up.txt', Buffer.from('x')],
          ['a/../../up.txt', Buffer.from('x')],
          ['/etc/passwd', Buffer.from('x')],
          ['tree', join(src, 'tree')],
        ] as const) {
          await r.logArtifact(name, source).then(
            () => errors.push(`${name}: accepted`),
            (e) => errors.push(`${name}: ${isLockstepError(e, 'E_INPUT') ? 'refused' : e}`),
          );
        }
        // a symlink that stays inside the tree is fine
        const info = await r.logArtifact('inner', join(src, 'inner'));
        assert.equal(info.fileCount, 2);
      });
      assert.deepEqual(errors, [
        '../up.txt: refused',
        'a/../../up.txt: refused',
        '/etc/passwd: refused',
        'tree: refused',
      ]);
      await assert.rejects(
        session.artifacts.list('x').then(() => session.artifacts.read('x', '../etc')),
        /escapes/,
      );
      await session.close();
    });

    test('artifacts over the size limit are refused; a run without a session cannot log', async (t) => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) return t.skip('PostgreSQL unavailable');
      const dir = tempDir();
      const session = await createSession(await backend.fresh(), {
        artifacts: { blobs: join(dir, 'b'), cache: join(dir, 'c'), maxBytes: 10 },
      });
      const exp = await session.createExperiment('limits');
      await assert.rejects(
        exp.run(async (r) => {
          await r.logArtifact('big.bin', new Uint8Array(11));
        }),
        /over the limit of 10/,
      );
      const { Run } = await import('../../src/index.ts');
      await assert.rejects(new Run({}).logArtifact('x', Buffer.from('x')), (e) => isLockstepError(e, 'E_RUN'));
      await session.close();
    });
  });
}

for (const backend of backends()) {
  describe(`tampered rows (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('a stored path or digest that escapes is refused on download', async (t) => {
      const opened = await open(backend);
      if (!opened) return t.skip('PostgreSQL unavailable');
      const { session } = opened;
      const exp = await session.createExperiment('tamper');
      const src = tempDir();
      mkdirSync(join(src, 't'));
      writeFileSync(join(src, 't', 'a.txt'), 'a');
      const run = await exp.run(async (r) => {
        await r.logArtifact('t', join(src, 't'));
        await r.logArtifact('f', Buffer.from('f'));
      });
      await session.query("UPDATE stored_files SET path = '../../escaped.txt' WHERE path = 'a.txt'");
      const out = join(tempDir(), 'deep', 'dest');
      await assert.rejects(session.artifacts.download(run.id, 't', out), /escapes its directory/);
      await session.query("UPDATE stored_files SET digest = '../../../etc/passwd' WHERE path = ''");
      await assert.rejects(session.artifacts.read(run.id, 'f'), (e) => isLockstepError(e, 'E_CODEC'));
      await session.close();
    });
  });
}

describe('remote sessions', () => {
  test('artifacts over an http session are a clear E_UNAVAILABLE', async () => {
    const { ArtifactHub } = await import('../../src/artifacts/hub.ts');
    const session = await createSession(join(tempDir(), 'x.db'));
    const hub = new ArtifactHub(session.store.driver, 'http://127.0.0.1:9/', {});
    await assert.rejects(
      hub.datasets.list(),
      (e) => isLockstepError(e, 'E_UNAVAILABLE') && /direct database connection/.test(e.message),
    );
    await session.close();
  });
});
