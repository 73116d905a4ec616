import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HashCache } from '../../src/lock/cache.ts';
import { hashFile, hashPath, listFiles } from '../../src/lock/hash.ts';
import { tempDir } from '../helpers.ts';
import { write } from './fixtures.ts';

function xxhsum(path: string): string | undefined {
  const r = spawnSync('xxhsum', ['-q', '-H3', path], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return /([0-9a-f]{16})/.exec(r.stdout)?.[1];
}

describe('hashing', () => {
  test('file hashes are XXH3-64, the same as `xxhsum -H3`, streamed or not', async (t) => {
    const dir = tempDir();
    const small = write(dir, 'small.bin', randomBytes(1000));
    const big = write(dir, 'big.bin', randomBytes(9 * 1024 * 1024 + 123)); // crosses the 1 MiB chunks read ahead
    const ref = xxhsum(small);
    if (ref === undefined) return t.skip('xxhsum (Debian xxhash) not installed');
    assert.equal(await hashFile(small), `xxh3:${ref}`);
    assert.equal(await hashFile(big), `xxh3:${xxhsum(big)}`);
    // sizes at the edges of the read-ahead: just over the one-read limit, whole chunks, reads past the end
    for (const size of [256 * 1024 + 1, 1024 * 1024, 3 * 1024 * 1024, 4 * 1024 * 1024, 5 * 1024 * 1024 - 1]) {
      const file = write(dir, `edge-${size}.bin`, randomBytes(size));
      assert.equal(await hashFile(file), `xxh3:${xxhsum(file)}`, `a file of ${size} bytes`);
    }
  });

  test('a directory hash is XXH3 over its sorted (path, hash) listing', async (t) => {
    const dir = tempDir();
    write(dir, 'd/b.txt', 'b');
    write(dir, 'd/a/z.txt', 'z');
    write(dir, 'd/.git/x', 'ignored');
    assert.deepEqual(await listFiles(join(dir, 'd')), ['a/z.txt', 'b.txt']);
    const h = await hashPath(join(dir, 'd'));
    const listing = `a/z.txt\u0000${await hashFile(join(dir, 'd/a/z.txt'))}\nb.txt\u0000${await hashFile(join(dir, 'd/b.txt'))}\n`;
    const file = join(dir, 'listing');
    writeFileSync(file, listing);
    const ref = xxhsum(file);
    if (ref === undefined) return t.skip('xxhsum not installed');
    assert.equal(h.hash, `xxh3:${ref}`);
    assert.equal(h.files, 2);
  });

  test('the cache answers for unchanged files and misses on size, mtime or inode changes', async () => {
    const dir = tempDir();
    const cache = new HashCache(join(dir, 'cache.db'));
    const f = write(dir, 'data/x.txt', 'one');
    const first = await hashPath(join(dir, 'data'), cache);
    // same size and mtime but new content: only a cache can be fooled, and it is (by design: that is what it keys on)
    const mtime = new Date(2020, 0, 1);
    utimesSync(f, mtime, mtime);
    const second = await hashPath(join(dir, 'data'), cache);
    assert.equal(second.hash, first.hash);
    writeFileSync(f, 'two');
    utimesSync(f, mtime, mtime);
    assert.equal(
      (await hashPath(join(dir, 'data'), cache)).hash,
      first.hash,
      'same size+mtime+inode: served from cache',
    );
    writeFileSync(f, 'three');
    assert.notEqual((await hashPath(join(dir, 'data'), cache)).hash, first.hash, 'a size change misses');
    // a file replaced by another (a new inode) with the same size and mtime misses too
    const before = (await hashPath(join(dir, 'data'), cache)).hash;
    const other = write(dir, 'other.txt', 'fives');
    utimesSync(other, mtime, mtime);
    utimesSync(f, mtime, mtime);
    renameSync(other, f);
    assert.notEqual((await hashPath(join(dir, 'data'), cache)).hash, before, 'an inode change misses');
    cache.close();
  });
});
