import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { parseArgs } from '../../src/config/args.ts';
import { plan } from '../../src/config/plan.ts';
import { isLockstepError } from '../../src/errors.ts';
import { tempDir } from '../helpers.ts';
import { write } from '../lock/fixtures.ts';

const Config = z.object({
  lr: z.number().default(0.1),
  epochs: z.number().int().min(1).default(3),
  model: z.object({ depth: z.number().int().default(2), kind: z.enum(['knn', 'cart']).default('knn') }).default({
    depth: 2,
    kind: 'knn',
  }),
  layers: z.array(z.number()).default([]),
  verbose: z.boolean().default(false),
  data: z.string().default('data.csv'),
  save_dir: z.string().default('results/train'),
});

const resolve = (...argv: string[]) => plan(Config, parseArgs(argv));

/** The E_INPUT message of what `fn` throws. */
function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isLockstepError(e), `expected a LockstepError, got ${String(e)}`);
    assert.equal(e.code, 'E_INPUT');
    return e.message;
  }
  assert.fail('expected an input error');
}

describe('config plan', () => {
  test('defaults, a partial config file, a selected section and typed overrides', () => {
    const dir = tempDir();
    const file = write(dir, 'multi.yml', 'prep:\n  lr: 0.5\ntrain:\n  lr: 0.01\n  model:\n    kind: cart\n');
    const p = plan(
      Config,
      parseArgs([
        '--config',
        file,
        '--select',
        'train',
        '-o',
        'model.depth=7',
        '-o',
        'verbose=yes',
        '-o',
        'layers=[64,32]',
      ]),
    );
    assert.deepEqual(p.config, {
      lr: 0.01,
      epochs: 3,
      model: { depth: 7, kind: 'cart' },
      layers: [64, 32],
      verbose: true,
      data: 'data.csv',
      save_dir: 'results/train',
    });
    assert.equal(p.tasks, null);
    assert.equal(p.outDir, 'results/train');
    // the FlexLock form `-o key value`
    assert.equal(resolve('-o', 'lr', '0.25').config.lr, 0.25);
  });

  test('every bad input is one message naming the key, the value and what was expected', () => {
    assert.match(
      inputError(() => resolve('-o', 'lr=fast')),
      /lr="fast" is not a number/,
    );
    assert.match(
      inputError(() => resolve('-o', 'model.dept=3')),
      /unknown config key "model.dept"; did you mean "model.depth"\?/,
    );
    assert.match(
      inputError(() => resolve('-o', 'epoch=3')),
      /did you mean "epochs"/,
    );
    assert.match(
      inputError(() => resolve('-o', 'model.kind=svm')),
      /"svm" is not one of "knn", "cart"/,
    );
    assert.match(
      inputError(() => resolve('-o', 'epochs=0')),
      /config key "epochs" got 0: Too small/,
    );
    assert.match(
      inputError(() => resolve('--config', '/nonexistent/c.yml')),
      /no such file \/nonexistent\/c.yml/,
    );
    assert.match(
      inputError(() => resolve('--sweep', 'lr=')),
      /sweep over "lr" is empty/,
    );
    assert.match(
      inputError(() => resolve('--jobs', 'two')),
      /--jobs two: expected a whole number/,
    );
    assert.match(
      inputError(() => resolve('--confg', 'x.yml')),
      /unknown option --confg; did you mean --config\?/,
    );
    const values = write(tempDir(), 'x.txt', '1\n2\n');
    assert.match(
      inputError(() => resolve('--tasks', values)),
      /item 1 is "1", a single value: give --task-to KEY/,
    );
    assert.match(
      inputError(() => resolve('--task-to', 'lr')),
      /--task-to needs what to spread over it/,
    );
    const dir = tempDir();
    const bad = write(dir, 'bad.yml', 'lr: 0.1\nmodel:\n  depth: [1, 2\n');
    assert.match(
      inputError(() => resolve('--config', bad)),
      /malformed YAML in .*bad\.yml at line \d+, column \d+/,
    );
    // a billion laughs: nine levels of aliases, each nine times the one before
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = write(dir, 'bomb.yml', `${levels.join('\n')}\n`);
    assert.match(
      inputError(() => resolve('--config', bomb)),
      /--config: .*bomb\.yml cannot be read: .*alias/i,
    );
    const unknown = write(dir, 'unknown.yml', 'lr: 0.1\nmodle:\n  depth: 3\n');
    assert.match(
      inputError(() => resolve('--config', unknown)),
      /unknown config key "modle"; did you mean "model"\?/,
    );
    const section = write(dir, 's.yml', 'train:\n  lr: 0.1\n');
    assert.match(
      inputError(() => resolve('--config', section, '--select', 'eval')),
      /no section "eval" \(sections: train\)/,
    );
  });

  test('sweeps make a grid; tasks files give one value per line or a YAML list; tasks get their own directory', () => {
    const p = resolve('--sweep', 'lr=0.1,0.01', '--sweep', 'model.depth=2,4');
    assert.equal(p.tasks?.length, 4);
    assert.deepEqual(
      p.tasks?.map((t) => [t.config.lr, (t.config.model as { depth: number }).depth]),
      [
        [0.1, 2],
        [0.1, 4],
        [0.01, 2],
        [0.01, 4],
      ],
    );
    assert.deepEqual(new Set(p.tasks?.map((t) => t.outDir)).size, 4);
    assert.ok(p.tasks?.every((t) => t.outDir?.startsWith('results/train/') && t.config.save_dir === t.outDir));
    const dir = tempDir();
    const lines = write(dir, 'tasks.txt', '# epochs\n1\n\n2\n5\n');
    assert.deepEqual(
      resolve('--tasks', lines, '--task-to', 'epochs').tasks?.map((t) => t.config.epochs),
      [1, 2, 5],
    );
    const list = write(dir, 'tasks.yml', '- knn\n- cart\n');
    assert.deepEqual(
      resolve('--tasks', list, '--task-to', 'model.kind').tasks?.map((t) => (t.config.model as { kind: string }).kind),
      ['knn', 'cart'],
    );
    const bad = write(dir, 'bad.txt', '1\ntwo\n');
    assert.match(
      inputError(() => resolve('--tasks', bad, '--task-to', 'epochs')),
      /epochs="two" is not a number/,
    );
  });

  test('interpolations: env, now, track, stage, latest', () => {
    const dir = tempDir();
    write(dir, 'data/a.csv', 'a');
    write(dir, 'stage/run.lock', 'id: x\n');
    const old = write(dir, 'ckpt/model-1.json', '1');
    utimesSync(old, new Date(2000, 1, 1), new Date(2000, 1, 1));
    write(dir, 'ckpt/model-2.json', '2');
    process.env.LOCKSTEP_TEST_EPOCHS = '9';
    const file = write(
      dir,
      'c.yml',
      [
        `epochs: \${env:LOCKSTEP_TEST_EPOCHS}`,
        `lr: \${env:LOCKSTEP_TEST_UNSET,0.5}`,
        `data: \${track:${join(dir, 'data/a.csv')}}`,
        `save_dir: \${stage:${join(dir, 'stage')}}/out-\${now:YYYY}`,
        `model:\n  kind: knn`,
      ].join('\n'),
    );
    const p = plan(Config, parseArgs(['--config', file]), { now: new Date(2031, 0, 2) });
    assert.equal(p.config.epochs, 9); // typed by the schema after interpolation
    assert.equal(p.config.lr, 0.5);
    assert.equal(p.config.save_dir, `${join(dir, 'stage')}/out-2031`);
    assert.deepEqual(p.tracked.data, [join(dir, 'data/a.csv')]);
    assert.deepEqual(p.tracked.prevs, [join(dir, 'stage')]);
    const latest = write(dir, 'l.yml', `data: \${latest:${dir}/ckpt/model-*.json}\n`);
    assert.equal(resolve('--config', latest).config.data, `${dir}/ckpt/model-2.json`);
    const missing = write(dir, 'm.yml', `data: \${env:LOCKSTEP_TEST_UNSET}\n`);
    assert.match(
      inputError(() => resolve('--config', missing)),
      /environment variable LOCKSTEP_TEST_UNSET is not set/,
    );
    const noStage = write(dir, 'n.yml', `data: \${stage:${dir}/data}\n`);
    assert.match(
      inputError(() => resolve('--config', noStage)),
      /no run.lock in/,
    );
  });
});

describe('FlexLock spellings and sources of sweeps', () => {
  test('aliases: -c, -s, -O, --n_jobs, --sweep-file/--sweep-target, --check-exists, --slurm-config', () => {
    const dir = tempDir();
    const file = write(dir, 'multi.yml', 'train:\n  lr: 0.01\n');
    const a = parseArgs(['-c', file, '-s', 'train', '-O', 'epochs=4', '--n_jobs', '3', '--check-exists']);
    assert.equal(a.config, file);
    assert.equal(a.select, 'train');
    assert.deepEqual(a.overrides, [['epochs', '4']]);
    assert.equal(a.jobs, 3);
    assert.equal(a.resume, true);
    assert.equal(parseArgs(['--slurm-config', 's.yml']).slurm, 's.yml');
    const lines = write(dir, 'lr.txt', '0.5\n0.25\n');
    assert.deepEqual(
      resolve('--sweep-file', lines, '--sweep-target', 'lr').tasks?.map((t) => t.config.lr),
      [0.5, 0.25],
    );
    // FlexLock's -o sets keys from the root, before --select: train.lr means lr of the selected section
    assert.equal(resolve('-c', file, '-s', 'train', '-o', 'train.lr=0.3').config.lr, 0.3);
  });

  test('several key=value after one -o; --merge before --select, --merge-after-select (-M) into it', () => {
    const p = resolve('-o', 'lr=0.2', 'epochs=5', 'model.kind=cart', '--dry-run');
    assert.equal(p.config.lr, 0.2);
    assert.equal(p.config.epochs, 5);
    assert.equal((p.config.model as { kind: string }).kind, 'cart');
    const dir = tempDir();
    const base = write(dir, 'base.yml', 'train:\n  lr: 0.01\n  epochs: 2\n');
    const over = write(dir, 'over.yml', 'train:\n  epochs: 7\n');
    const inner = write(dir, 'inner.yml', 'model:\n  depth: 9\n');
    const m = resolve('-c', base, '-m', over, '-s', 'train', '-M', inner);
    assert.deepEqual([m.config.lr, m.config.epochs, (m.config.model as { depth: number }).depth], [0.01, 7, 9]);
    const unknown = write(dir, 'unknown.yml', 'modl:\n  depth: 9\n');
    assert.match(
      inputError(() => resolve('-c', base, '-s', 'train', '--merge-after-select', unknown)),
      /unknown config key "modl"; did you mean "model"\?/,
    );
  });

  test('a YAML sweep file of mappings needs no --task-to; --sweep-key reads the list from the config file', () => {
    const dir = tempDir();
    const dicts = write(dir, 'sweep.yml', '- {lr: 0.001, epochs: 2}\n- {lr: 0.01, model: {kind: cart}}\n');
    const p = resolve('--tasks', dicts);
    assert.deepEqual(
      p.tasks?.map((t) => [t.config.lr, t.config.epochs, (t.config.model as { kind: string }).kind]),
      [
        [0.001, 2, 'knn'],
        [0.01, 3, 'cart'],
      ],
    );
    assert.deepEqual(p.tasks?.[1]?.params, { lr: 0.01, 'model.kind': 'cart' });
    const cfg = write(dir, 'grid.yml', 'epochs: 4\nparam_grid:\n  - {lr: 0.1}\n  - {lr: 0.2}\n  - {lr: 0.3}\n');
    const k = resolve('-c', cfg, '--sweep-key', 'param_grid', '--sweep', 'model.depth=1,2');
    assert.equal(k.tasks?.length, 6);
    assert.ok(k.tasks?.every((t) => t.config.epochs === 4 && !('param_grid' in t.config)));
    assert.deepEqual([...new Set(k.tasks?.map((t) => t.config.lr))], [0.1, 0.2, 0.3]);
    // FlexLock's --sweep forms: one task per key=value, or bare values for --sweep-target
    assert.deepEqual(
      resolve('--sweep', 'lr=0.5,lr=0.6').tasks?.map((t) => t.config.lr),
      [0.5, 0.6],
    );
    assert.deepEqual(
      resolve('--sweep', '3,4', '--sweep-target', 'epochs').tasks?.map((t) => t.config.epochs),
      [3, 4],
    );
    const badItem = write(dir, 'bad.yml', '- {lr: 0.1}\n- {lrr: 0.2}\n');
    assert.match(
      inputError(() => resolve('--tasks', badItem)),
      /item 2: unknown config key "lrr"; did you mean "lr"\?/,
    );
    assert.match(
      inputError(() => resolve('-c', write(dir, 'plain.yml', 'lr: 0.1\n'), '--sweep-key', 'nothing')),
      /--sweep-key nothing: no such key/,
    );
  });

  test('an unknown interpolation is an input error naming it; vinc gives the next free versioned directory', () => {
    const dir = tempDir();
    const oops = write(dir, 'oops.yml', `data: \${oops:x}\n`);
    assert.match(
      inputError(() => resolve('-c', oops)),
      /config key "data" \(\$\{oops:x\}\): unknown interpolation "oops"/,
    );
    const vinc = write(dir, 'v.yml', `save_dir: \${vinc:${dir}/results/run}\n`);
    assert.equal(resolve('-c', vinc).config.save_dir, `${dir}/results/run_0001`);
    write(dir, 'results/run_0002/x', '');
    write(dir, 'results/run_0005/x', '');
    write(dir, 'results/other_0009/x', '');
    assert.equal(resolve('-c', vinc).config.save_dir, `${dir}/results/run_0006`);
    // nested: the inner interpolation first (and FlexLock's strftime format)
    const nested = write(dir, 'n.yml', `save_dir: \${vinc:${dir}/out_\${now:%Y}/run}\n`);
    const p = plan(Config, parseArgs(['-c', nested]), { now: new Date(2031, 0, 2) });
    assert.equal(p.config.save_dir, `${dir}/out_2031/run_0001`);
  });
});
