// `lockstep models alias … --delete` takes no version, and `models tag` says what it did.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { backends, runCli } from '../helpers.ts';
import { irisSession } from '../serve/fixture.ts';

test('models alias --delete removes an alias without a version; a version with --delete, or none without, is exit 2', async () => {
  const [sqlite] = backends();
  const fx = await irisSession(sqlite as NonNullable<typeof sqlite>);
  assert.ok(fx);
  const db = fx.session.url;
  await fx.session.close();
  const env = { LOCKSTEP_BLOBS: join(fx.dir, 'blobs'), LOCKSTEP_CACHE: join(fx.dir, 'cache') };
  const cli = (...args: string[]) => runCli([...args, '--db', db], env);

  assert.equal((await cli('models', 'alias', 'iris', 'candidate', '1')).code, 0);
  const removed = await cli('models', 'alias', 'iris', 'candidate', '--delete');
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, 'removed alias iris@candidate (it pointed at version 1)\n');
  const aliases = JSON.parse((await cli('models', '--json')).stdout)[0].aliases;
  assert.equal(aliases, 'champion→1');

  const withVersion = await cli('models', 'alias', 'iris', 'champion', '1', '--delete');
  assert.equal(withVersion.code, 2);
  assert.match(withVersion.stderr, /--delete removes the alias wherever it points: give no version/);
  const noVersion = await cli('models', 'alias', 'iris', 'champion');
  assert.equal(noVersion.code, 2);
  assert.match(noVersion.stderr, /give the version .* or --delete/);
  const unknown = await cli('models', 'alias', 'iris', 'nope', '--delete');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /nope/);

  const tagged = await cli('models', 'tag', 'iris', '1', 'stage=prod', 'owner=ada');
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.equal(tagged.stdout, 'tagged models:/iris/1: stage=prod owner=ada\n');
  const model = await cli('models', 'tag', 'iris', '-', 'team=ml');
  assert.equal(model.stdout, 'tagged model iris: team=ml\n');
});
