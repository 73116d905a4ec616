// gc from the user's side: what a tag, an active run, a model, a dataset or a lineage refers to stays, and the dry run says why.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createSession } from '../../src/session.ts';
import { lockstepIn, makeProject, write } from './fixtures.ts';

const STEP = `import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { cli } from 'lockstep';
const Config = z.object({ param: z.number().default(0), input: z.string().default(''), save_dir: z.string().default('results/x') });
await cli(Config, async (cfg, { run }) => {
  mkdirSync(cfg.save_dir, { recursive: true });
  writeFileSync(cfg.save_dir + '/out.txt', 'out of ' + cfg.save_dir + ' ' + cfg.param);
  await run.logArtifact('out.txt', cfg.save_dir + '/out.txt');
});
`;

describe('gc keeps what anything refers to', () => {
  test('tags (a sweep and its tasks, after --resume and re-runs too), models, datasets, active runs and lineage', async () => {
    const root = makeProject({ 'step.ts': STEP });
    write(root, 'data/input.csv', 'a\n');
    const ok = (...args: string[]) => {
      const r = lockstepIn(root, ...args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    const step = (dir: string, ...more: string[]) => ok('run', 'step.ts', '-o', `save_dir=results/${dir}`, ...more);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: lockstep's interpolation, passed as it is
    step('prep', '-o', 'input=${track:data/input.csv}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: lockstep's interpolation, passed as it is
    const sweep = ['-o', 'input=${stage:results/prep}', '--sweep', 'param=1,2'];
    step('process', ...sweep);
    ok('tag', 'best', 'results/process', '-m', 'for the paper');
    step('other');
    step('feats');
    ok('datasets', 'register', 'feats', 'results/feats/out.txt');
    step('model');
    step('up');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: lockstep's interpolation, passed as it is
    step('down', '-o', 'input=${stage:results/up}');
    const s = await createSession(join(root, 'l.db'));
    try {
      const [run] = await s.query('SELECT run_id FROM locks WHERE run_dir = ?', [join(root, 'results/model')]);
      const exp = await s.loadExperiment('step');
      await s.models.registerFiles('m', {
        files: [],
        source: 'elsewhere',
        runId: run?.run_id as string,
        experimentId: exp.id,
      });
    } finally {
      await s.close();
    }

    const expectDecisions = (out: string) => {
      const line = (item: string) => out.split('\n').find((l) => l.includes(` ${item}  (`)) ?? `(no line for ${item})`;
      assert.match(line('results/process/'), /^keep +results\/process\/ +\(tag best\)$/);
      assert.match(line('results/process/param=1/'), /^keep .*\(tag best\)$/);
      assert.match(line('results/process/param=2/'), /^keep .*\(tag best\)$/);
      assert.match(line('results/prep/'), /^keep .*\(tag best\)$/, 'the lineage of a tag is in the tag');
      assert.match(line('results/feats/'), /^keep .*\(dataset feats v1\)$/);
      assert.match(line('results/model/'), /^keep .*\(model m v1\)$/);
      assert.match(line('results/up/'), /^keep .*\(used by results\/down, an active run\)$/);
      assert.match(
        line('results/other/'),
        /^would remove results\/other\/ +\(no tag, model, dataset or active run refers to it/,
      );
      assert.match(line('results/down/'), /^would remove results\/down\//);
    };
    expectDecisions(ok('gc', '--dry-run', '--run-dirs').stdout);
    // resuming the sweep keeps its (tagged) lock; running it again supersedes it, and the directory stays tagged
    step('process', ...sweep, '--resume');
    expectDecisions(ok('gc', '--dry-run', '--run-dirs').stdout);
    step('process', ...sweep);
    expectDecisions(ok('gc', '--dry-run', '--run-dirs').stdout);

    const done = ok('gc', '--run-dirs');
    assert.match(done.stdout, /removed 0 private ref\(s\) and 2 run dir\(s\)/);
    for (const kept of ['process/param=1', 'prep', 'feats', 'model', 'up'])
      assert.ok(existsSync(join(root, 'results', kept, 'run.lock')), kept);
    for (const gone of ['other', 'down']) assert.equal(existsSync(join(root, 'results', gone)), false, gone);

    // the runs' rows go (the experiment is deleted): the artifacts of runs a tag, model, dataset or active lock keeps stay
    const s2 = await createSession(join(root, 'l.db'));
    try {
      await s2.deleteExperiment('step');
    } finally {
      await s2.close();
    }
    const blobs = ok('gc', '--dry-run', '--grace', '0');
    assert.match(
      blobs.stdout,
      /2 artifact\(s\) of deleted runs to drop \(6 kept: a tag, lock, model or lineage holds their run\)/,
    );
    assert.match(blobs.stdout, /keep +[0-9a-f]{64} +\(artifact out\.txt of deleted run [0-9a-f-]+, kept: tag best\)/);
    assert.match(blobs.stdout, /keep +[0-9a-f]{64} +\(artifact out\.txt of deleted run [0-9a-f-]+, kept: model m v1\)/);
    assert.match(blobs.stdout, /would remove 2, would free/);
  });
});
