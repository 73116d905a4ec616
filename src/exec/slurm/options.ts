import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { LockstepError } from '../../errors.ts';

/** The keys of `slurm.yml` (or the `slurm` option of `execute`). */
export const SlurmOptionsSchema = z
  .object({
    /** The database URL the tasks use (default: the session's; a PostgreSQL password travels best in PGPASSWORD). */
    db: z.string().min(1).optional(),
    /** Partition (`--partition`). */
    partition: z.string().min(1).optional(),
    /** Time limit per array task (`--time`), such as `00:30:00` or `90` (minutes). */
    time: z.union([z.string().min(1), z.number().int().positive()]).optional(),
    /** CPUs per array task (`--cpus-per-task`); also the worker threads each task runs unless `jobs` is given. */
    cpus: z.number().int().positive().optional(),
    /** Memory per array task (`--mem`), such as `4G`. */
    mem: z.union([z.string().min(1), z.number().int().positive()]).optional(),
    /** Number of array tasks (`--array=0-(tasks-1)`); each claims runs until none is left. Default 1. */
    tasks: z.number().int().positive().default(1),
    /** At most this many tasks at once (`%N` of `--array`). */
    parallel: z.number().int().positive().optional(),
    /** Worker threads inside each task (default: `cpus`, else 1). */
    jobs: z.number().int().positive().optional(),
    /** The Node.js the tasks run (default: this process's, by absolute path; use `node` when `setup` loads a module). */
    node: z.string().min(1).optional(),
    /** Job name (`--job-name`, default `lockstep-<experiment>`). */
    name: z.string().min(1).optional(),
    /** Shell lines run before the worker starts (module loads, environment). */
    setup: z.array(z.string()).default([]),
    /** More `sbatch` flags, one per item, such as `--qos=short`. */
    sbatch: z.array(z.string()).default([]),
    /** Directory for the tasks' log files and the batch script (default `./slurm-logs`). */
    logs: z.string().min(1).default('slurm-logs'),
    /** Seconds a claimed run stays reserved without a heartbeat (default 60). */
    lease: z.number().positive().default(60),
    /** Wait for the array to finish and show progress (default true); false returns after `sbatch`. */
    wait: z.boolean().default(true),
    /** Seconds between progress polls (default 2). */
    poll: z.number().positive().default(2),
  })
  .strict();

export type SlurmOptions = z.input<typeof SlurmOptionsSchema>;
export type SlurmSettings = z.output<typeof SlurmOptionsSchema>;

/** Reads and checks Slurm settings from an object or a YAML file; bad keys are E_INPUT naming the key. */
export function slurmSettings(input: SlurmOptions | string | undefined): SlurmSettings {
  let raw: unknown = input ?? {};
  let source = 'the slurm option';
  if (typeof input === 'string') {
    source = input;
    let text: string;
    try {
      text = readFileSync(input, 'utf8');
    } catch (e) {
      throw new LockstepError('E_INPUT', `cannot read Slurm settings ${input}: ${(e as Error).message}`, { cause: e });
    }
    try {
      raw = parse(text) ?? {};
    } catch (e) {
      throw new LockstepError('E_INPUT', `${input} is not valid YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  const parsed = SlurmOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || (issue && 'keys' in issue ? (issue.keys as string[]).join(', ') : '');
    throw new LockstepError('E_INPUT', `${source}: ${key ? `"${key}": ` : ''}${issue?.message ?? 'invalid settings'}`, {
      details: { key },
    });
  }
  return parsed.data;
}
