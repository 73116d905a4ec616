import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { counts } from '../../src/exec/queue/queue.ts';
import { slurmSettings } from '../../src/exec/slurm/options.ts';
import { batchScript } from '../../src/exec/slurm/submit.ts';
import { steps } from '../../src/exec/steps.ts';
import { isLockstepError, type Session } from '../../src/index.ts';
import { backends, freshSession, tempDir } from '../helpers.ts';

const FIXTURE = new URL('./fixtures/steps.ts', import.meta.url).href;

/** Whether a Slurm cluster answers; under CI=true a missing one is an error (scripts/ci/slurm.sh starts it). */
function slurmUp(): boolean {
  try {
    const out = execFileSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 10_000 });
    if (/idle|mix|alloc/.test(out)) return true;
    throw new Error(`no usable node (sinfo says: ${out.trim() || 'nothing'})`);
  } catch (e) {
    const msg = `Slurm is not available (${(e as Error).message}); start it with scripts/ci/slurm.sh`;
    if (process.env.CI === 'true') throw new Error(`${msg}: CI requires it`);
    console.error(`\n!!! ${msg}: the Slurm tests are SKIPPED !!!\n`);
    return false;
  }
}

describe('Slurm settings', () => {
  it('reads slurm.yml and writes the batch script from it', () => {
    const dir = tempDir();
    const file = join(dir, 'slurm.yml');
    const yml =
      'partition: debug\ntime: "00:10:00"\ncpus: 2\nmem: 2G\ntasks: 4\nparallel: 2\nsetup:\n  - export FOO=1\n';
    writeFileSync(file, yml);
    const s = slurmSettings(file);
    const script = batchScript(s, 'exp', '/data/x.db', '/work');
    assert.match(script, /#SBATCH --array=0-3%2/);
    assert.match(script, /#SBATCH --partition=debug/);
    assert.match(script, /#SBATCH --time=00:10:00/);
    assert.match(script, /#SBATCH --cpus-per-task=2/);
    assert.match(script, /#SBATCH --mem=2G/);
    assert.match(script, /^export FOO=1$/m);
    assert.match(script, /'worker' '--db' '\/data\/x\.db' '--experiment' 'exp' '--jobs' '2'/);
  });

  it('names the bad key of slurm.yml', () => {
    assert.throws(
      () => slurmSettings({ tasks: 0 }),
      (e) => isLockstepError(e, 'E_INPUT') && /"tasks"/.test(e.message),
    );
    assert.throws(
      () => slurmSettings({ partiton: 'debug' } as never),
      (e) => isLockstepError(e, 'E_INPUT') && /partiton/.test(e.message),
    );
  });
});

const up = slurmUp();
for (const backend of backends()) {
  describe(`Slurm job arrays on ${backend.name}`, { skip: !up }, () => {
    after(() => backend.cleanup());

    it('executes runs in array tasks that claim from the store; a second submission runs only what failed', async () => {
      const s: Session | undefined = await freshSession(backend);
      if (!s) return;
      try {
        const exp = await s.createExperiment('slurmx');
        exp.addRuns({ x: Array.from({ length: 20 }, (_, i) => i) });
        const logs = tempDir('lockstep-slurm-');
        const slurm = { tasks: 2, logs, poll: 0.5, lease: 10 };
        const first = await exp.execute(steps(FIXTURE, 'sleepy', 'failOdd'), {
          backend: 'slurm',
          slurm,
          config: { ms: 20 },
          quiet: true,
        });
        assert.ok(first.slurm?.jobId, 'a job was submitted');
        assert.equal(first.done, 10, JSON.stringify(first.failures.slice(0, 2)));
        assert.equal(first.failed, 10);
        assert.match(first.failures[0]?.message ?? '', /odd x=/);
        const tasks = new Set(exp.runs.map((r) => r.fields.host));
        assert.ok(!tasks.has('local'), 'every run executed inside an array task');
        assert.ok([...tasks].every((t) => t === '0' || t === '1'));
        const log = readFileSync(join(logs, readdirSync(logs).find((f) => f.endsWith('.out')) as string));
        assert.match(log.toString(), /lockstep worker/);
        const who = await s.query('SELECT DISTINCT run_executor FROM experiment_slurmx');
        assert.deepEqual(
          who.map((r) => r.run_executor),
          ['slurm'],
          'array tasks record themselves as the executor',
        );

        const second = await exp.execute(steps(FIXTURE, 'sleepy'), {
          backend: 'slurm',
          slurm,
          config: { ms: 20 },
          quiet: true,
        });
        assert.equal(second.skipped, 10, 'the done runs are not submitted again');
        assert.equal(second.executed, 10);
        assert.equal(second.done, 10);
        const [row] = await s.query(`SELECT COUNT(*) AS n FROM experiment_slurmx WHERE status = 'done'`);
        assert.equal(Number(row?.n), 20);
      } finally {
        await s.close();
      }
    });

    it('a requeued array (scontrol requeue) resumes: held runs go back to the queue, each run is stored once', async () => {
      const s: Session | undefined = await freshSession(backend);
      if (!s) return;
      let job = '';
      const logsDir = tempDir('lockstep-slurm-');
      try {
        const exp = await s.createExperiment('requeued');
        exp.addRuns({ x: Array.from({ length: 30 }, (_, i) => i) });
        const sum = await exp.execute(steps(FIXTURE, 'sleepy', 'square'), {
          backend: 'slurm',
          slurm: { tasks: 2, logs: logsDir, wait: false, lease: 10 },
          config: { ms: 300 },
        });
        job = sum.slurm?.jobId as string;
        assert.ok(job);
        // every task is running (a task still waiting for a CPU cannot be requeued) and holds work
        await until(
          async () =>
            (await counts(s.store.driver, exp.id)).done >= 5 &&
            squeue(job)
              .split('\n')
              .every((state) => state === 'RUNNING'),
          'five runs done with both tasks running',
        );
        execFileSync('scontrol', ['requeue', job]);
        // A requeued job waits about two minutes before it may start again; let it start now.
        await until(async () => /PENDING/.test(squeue(job)) && !/COMPLETING/.test(squeue(job)), 'the requeue');
        execFileSync('scontrol', ['update', `jobid=${job}`, 'starttime=now']);
        await until(async () => {
          const c = await counts(s.store.driver, exp.id);
          return c.pending + c.claimed === 0;
        }, 'the queue to drain');
        assert.match(execFileSync('scontrol', ['show', 'job', job], { encoding: 'utf8' }), /Restarts=1/);
        await exp.reload();
        assert.ok(exp.runs.toArray().every((r) => r.status === 'done' && r.fields.y === (r.params.x as number) ** 2));
        const [m] = await s.query(
          `SELECT COUNT(*) AS n, COUNT(DISTINCT run_id) AS r FROM metrics WHERE experiment_id = ${s.dialect === 'sqlite' ? '?' : '$1'}`,
          [exp.id],
        );
        assert.deepEqual([Number(m?.n), Number(m?.r)], [30, 30], 'each run was written exactly once');
        await until(async () => squeue(job) === '', 'the array to end');
        job = '';
      } finally {
        // a failed test must not leave its requeued array to start later on another test's CPUs
        if (job) spawnSync('scancel', [job]);
        // what the array's tasks said, to tell a slow machine from a broken worker
        if (job)
          for (const f of readdirSync(logsDir))
            console.error(`--- ${f}\n${readFileSync(join(logsDir, f), 'utf8').slice(-2000)}`);
        await s.close();
      }
    });
  });
}

function squeue(job: string): string {
  try {
    return execFileSync('squeue', ['-h', '-r', '-j', job, '-o', '%T'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function until(what: () => Promise<boolean>, label: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
