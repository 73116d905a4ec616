// FlexLock users' command lines and a clean tree, from the user's side: a script in a git repository, through `lockstep run`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { createSession } from '../../src/session.ts';
import { tempDir } from '../helpers.ts';
import { gitIn, lockstepIn, makeProject, write } from '../lock/fixtures.ts';

const TRAIN = `import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({
  lr: z.number().default(0.1),
  batch: z.number().int().default(32),
  optimizer: z.object({ name: z.enum(['sgd', 'adam']).default('sgd'), momentum: z.number().default(0) }).default({ name: 'sgd', momentum: 0 }),
  save_dir: z.string().default('results/train'),
});
await cli(Config, (cfg) => ({ score: cfg.lr * cfg.batch + cfg.optimizer.momentum }));
`;

describe('FlexLock command lines through lockstep run', () => {
  test('-c/-s, --sweep-key, a YAML sweep file of dicts, several k=v per -o, -m/-M; --help shows lockstep names', async () => {
    const root = makeProject({
      'train.ts': TRAIN,
      'stages.yml':
        'train:\n  lr: 0.01\n  param_grid:\n    - {batch: 16}\n    - {batch: 64, optimizer: {name: adam}}\n',
      'extra.yml': 'optimizer:\n  momentum: 0.9\n',
      'sweep.yml': '- {lr: 0.5}\n- {lr: 0.25, batch: 8}\n',
    });
    const ok = (...args: string[]) => {
      const r = lockstepIn(root, 'run', 'train.ts', ...args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    ok('-c', 'stages.yml', '-s', 'train', '--sweep-key', 'param_grid', '-M', 'extra.yml', '--name', 'keyed');
    ok('--sweep-file', 'sweep.yml', '-o', 'optimizer.name=adam', 'optimizer.momentum=0.5', '--name', 'dicts');
    const s = await createSession(join(root, 'l.db'));
    try {
      const rows = async (name: string) =>
        (await s.loadExperiment(name)).runs
          .map((r) => [r.params.lr, r.params.batch, r.params['optimizer.name'], r.params['optimizer.momentum']])
          .sort((a, b) => Number(a[1]) - Number(b[1]));
      assert.deepEqual(await rows('keyed'), [
        [0.01, 16, 'sgd', 0.9],
        [0.01, 64, 'adam', 0.9],
      ]);
      assert.deepEqual(await rows('dicts'), [
        [0.25, 8, 'adam', 0.5],
        [0.5, 32, 'adam', 0.5],
      ]);
    } finally {
      await s.close();
    }
    const help = ok('--help');
    assert.match(help.stdout, /^ {2}--sweep-key KEY /m);
    assert.match(help.stdout, /FlexLock's spellings work too: -c = --config, -s = --select, -m = --merge/);
    assert.doesNotMatch(help.stdout, /^ {2}-c /m, 'the options are listed by their lockstep names');
  });

  test('an unknown interpolation stops with exit 2 naming it; vinc gives the next free versioned directory', () => {
    const root = makeProject({ 'train.ts': TRAIN });
    write(root, 'bad.yml', `save_dir: \${oops:x}\n`);
    const bad = lockstepIn(root, 'run', 'train.ts', '-c', 'bad.yml');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /config key "save_dir" \(\$\{oops:x\}\): unknown interpolation "oops"/);
    assert.equal(existsSync(join(root, 'l.db')), false, 'nothing written');
    write(root, 'v.yml', `save_dir: \${vinc:results/run}\n`);
    for (const n of ['0001', '0002']) {
      const r = lockstepIn(root, 'run', 'train.ts', '-c', 'v.yml');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        parse(readFileSync(join(root, `results/run_${n}/run.lock`), 'utf8')).config.save_dir,
        `results/run_${n}`,
      );
    }
  });
});

describe('a clean tree', () => {
  test('a dirty tree warns in one line; --require-clean refuses it and a branch behind its upstream (exit 2)', () => {
    const root = makeProject({ 'train.ts': TRAIN });
    const clean = lockstepIn(root, 'run', 'train.ts');
    assert.equal(clean.status, 0, clean.stderr);
    assert.doesNotMatch(clean.stderr, /warning/, 'outputs, the database and its blobs do not make the tree dirty');
    write(root, 'train.ts', `${readFileSync(join(root, 'train.ts'), 'utf8')}// an edit\n`);
    const warned = lockstepIn(root, 'run', 'train.ts');
    assert.equal(warned.status, 0, warned.stderr);
    const lines = warned.stderr.split('\n').filter((l) => l.includes('warning'));
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /1 uncommitted change\(s\) in .* \(train\.ts\)/);
    const refused = lockstepIn(root, 'run', 'train.ts', '--require-clean');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--require-clean: 1 uncommitted change\(s\).*train\.ts/);
    gitIn(root, 'commit', '-qam', 'edit');
    // behind the upstream: someone else pushed
    const bare = tempDir('lockstep-bare-');
    gitIn(bare, 'init', '-q', '--bare');
    gitIn(root, 'push', '-q', bare, 'main');
    gitIn(root, 'remote', 'add', 'origin', bare);
    gitIn(root, 'fetch', '-q', 'origin');
    gitIn(root, 'branch', '-q', '--set-upstream-to', 'origin/main');
    const other = join(tempDir(), 'other');
    gitIn(tempDir(), 'clone', '-q', '-b', 'main', bare, other);
    write(other, 'NOTES.md', 'newer\n');
    gitIn(other, 'add', '-A');
    gitIn(other, '-c', 'user.name=O', '-c', 'user.email=o@x', 'commit', '-qm', 'newer');
    gitIn(other, 'push', '-q', 'origin', 'main');
    gitIn(root, 'fetch', '-q', 'origin');
    const behind = lockstepIn(root, 'run', 'train.ts', '--require-clean');
    assert.equal(behind.status, 2);
    assert.match(behind.stderr, /main is 1 commit\(s\) behind origin\/main/);
  });
});
