import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BufferedLog } from '../../src/serve/log.ts';
import { tempDir } from '../helpers.ts';

test('the buffered request log batches lines and loses none', async () => {
  const path = join(tempDir(), 'log.jsonl');
  const fd = openSync(path, 'w');
  const log = new BufferedLog(fd, 64, 50);
  log.write('{"n":1}\n');
  assert.equal(readFileSync(path, 'utf8'), '', 'a short line waits for more');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(readFileSync(path, 'utf8'), '{"n":1}\n', 'and is written within flushMs');
  for (let i = 2; i <= 10; i++) log.write(`{"n":${i}}\n`);
  // 64 bytes reached: written without waiting
  assert.ok(readFileSync(path, 'utf8').split('\n').length > 2);
  log.flush();
  assert.deepEqual(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).n),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  closeSync(fd);
});
