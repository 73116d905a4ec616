// push and pull of a tag from the user's side: the pulled tree can re-run its last stage and verify every one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers.ts';
import { gitIn, lockstepIn, makeProject, write } from './fixtures.ts';

const PREP = `import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ input: z.string().default('\${track:data/input.csv}'), save_dir: z.string().default('results/prep') });
await cli(Config, (cfg) => {
  mkdirSync(cfg.save_dir, { recursive: true });
  writeFileSync(cfg.save_dir + '/out.txt', readFileSync(cfg.input, 'utf8').trim().toUpperCase());
});
`;

// the previous stage is consumed through \${stage:…} only: its output is not tracked data of this stage
const TRAIN = `import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ prep: z.string().default('\${stage:results/prep}'), save_dir: z.string().default('results/train') });
await cli(Config, (cfg) => {
  mkdirSync(cfg.save_dir, { recursive: true });
  const text = readFileSync(cfg.prep + '/out.txt', 'utf8');
  writeFileSync(cfg.save_dir + '/model.json', JSON.stringify({ weights: text.length }));
});
`;

function blobsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('push and pull carry a tag whole', () => {
  test('the outputs of every stage come along; a pulled tree re-runs its last stage; drift exits non-zero', () => {
    const root = makeProject({ 'prep.ts': PREP, 'train.ts': TRAIN });
    write(root, 'data/input.csv', 'a,b,c\n');
    const ok = (cwd: string, ...args: string[]) => {
      const r = lockstepIn(cwd, ...args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r;
    };
    ok(root, 'run', 'prep.ts');
    ok(root, 'run', 'train.ts');
    ok(root, 'tag', 'v1', 'results/train');
    const bare = tempDir('lockstep-bare-');
    gitIn(bare, 'init', '-q', '--bare');
    const store = join(tempDir('lockstep-rclone-'), 'store');
    ok(root, 'push', 'v1', '--git', bare, '--data', store);

    const into = join(tempDir('lockstep-pull-'), 'checkout');
    const pulled = ok(tempDir(), 'pull', 'v1', '--git', bare, '--data', store, '--into', into);
    assert.match(pulled.stdout, /\(3 file\(s\) of data and outputs\)/);
    assert.equal(readFileSync(join(into, 'results/prep/out.txt'), 'utf8'), 'A,B,C');
    assert.equal(readFileSync(join(into, 'results/train/model.json'), 'utf8'), '{"weights":5}');
    for (const stage of ['results/prep', 'results/train']) ok(into, 'lock', 'verify', stage);
    // the last stage runs again in the pulled tree, from what was pulled, to the same result
    symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(into, 'node_modules'));
    writeFileSync(join(into, 'results/train/model.json'), 'stale');
    ok(into, 'run', 'train.ts');
    assert.equal(readFileSync(join(into, 'results/train/model.json'), 'utf8'), '{"weights":5}');

    // an output damaged on the remote: pull restores it, finds it is not what was pushed, and fails
    const blob = blobsUnder(join(store, 'blobs')).find((p) => readFileSync(p, 'utf8') === '{"weights":5}') as string;
    writeFileSync(blob, '{"weights":6}');
    const bad = lockstepIn(tempDir(), 'pull', 'v1', '--git', bare, '--data', store, '--into', join(tempDir(), 'c2'));
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /results\/train\/model\.json: xxh3:[0-9a-f]{16} \(expected xxh3:[0-9a-f]{16}\)/);
    assert.match(bad.stderr, /restored files do not match their locks/);
  });
});
