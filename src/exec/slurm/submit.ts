import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LockstepError } from '../../errors.ts';
import type { SlurmSettings } from './options.ts';

const run = promisify(execFile);

/** A submitted job array. */
export interface SlurmJob {
  jobId: string;
  script: string;
  logs: string;
}

/** The `lockstep` command of this installation, run by each array task with this Node. */
function lockstepBin(): string {
  return fileURLToPath(new URL('../../../bin/lockstep.js', import.meta.url));
}

/** Single-quotes a word for the shell. */
export function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The batch script: Slurm directives from the settings, the setup lines, then
 * `lockstep worker` claiming this experiment's runs until none is left. Every
 * task claims from the store, so a requeued or restarted task skips the runs
 * that are finished and takes over those whose worker died.
 */
export function batchScript(s: SlurmSettings, experiment: string, db: string, cwd: string): string {
  const logs = resolve(cwd, s.logs);
  const jobs = s.jobs ?? s.cpus ?? 1;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${(s.name ?? `lockstep-${experiment}`).replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    `#SBATCH --array=0-${s.tasks - 1}${s.parallel ? `%${s.parallel}` : ''}`,
    `#SBATCH --output=${join(logs, '%x-%A_%a.out')}`,
    '#SBATCH --requeue',
  ];
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.time !== undefined) lines.push(`#SBATCH --time=${s.time}`);
  if (s.cpus) lines.push(`#SBATCH --cpus-per-task=${s.cpus}`);
  if (s.mem !== undefined) lines.push(`#SBATCH --mem=${s.mem}`);
  for (const flag of s.sbatch) lines.push(`#SBATCH ${flag}`);
  lines.push('set -e', ...s.setup, `cd ${sh(cwd)}`);
  const argv = [
    s.node ?? process.execPath,
    lockstepBin(),
    'worker',
    '--db',
    db,
    '--experiment',
    experiment,
    '--jobs',
    String(jobs),
    '--lease',
    String(s.lease),
    '--exit-when-empty',
  ];
  lines.push(`exec ${argv.map(sh).join(' ')}`, '');
  return lines.join('\n');
}

/** Writes the batch script (readable by its owner only: it names the database) and submits it with `sbatch`. */
export async function submitArray(s: SlurmSettings, experiment: string, db: string): Promise<SlurmJob> {
  const cwd = process.cwd();
  const logs = resolve(cwd, s.logs);
  mkdirSync(logs, { recursive: true });
  const script = join(logs, `lockstep-${experiment.replace(/[^A-Za-z0-9_.-]/g, '_')}-${Date.now()}.sbatch`);
  writeFileSync(script, batchScript(s, experiment, db, cwd));
  chmodSync(script, 0o700);
  let out: string;
  try {
    out = (await run('sbatch', ['--parsable', script])).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new LockstepError(
        'E_UNAVAILABLE',
        'sbatch was not found: run on a Slurm login node (or install slurm-client)',
      );
    }
    throw new LockstepError('E_UNAVAILABLE', `sbatch refused the job: ${(err.stderr || err.message).trim()}`, {
      cause: e,
      details: { script },
    });
  }
  const jobId = out.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId)) throw new LockstepError('E_UNAVAILABLE', `sbatch answered "${out.trim()}", not a job id`);
  return { jobId, script, logs };
}

/** The states of the job's array tasks still known to `squeue` (PENDING, RUNNING, …); empty once all ended. */
export async function jobStates(jobId: string): Promise<Record<string, number>> {
  let out: string;
  try {
    out = (await run('squeue', ['-h', '-r', '-j', jobId, '-o', '%T'])).stdout;
  } catch {
    // squeue errors on a job id it has already forgotten: the job is over.
    return {};
  }
  const states: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const st = line.trim();
    if (st) states[st] = (states[st] ?? 0) + 1;
  }
  return states;
}

export async function cancelJob(jobId: string): Promise<void> {
  await run('scancel', [jobId]).catch(() => undefined);
}
