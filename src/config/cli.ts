import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { Run } from '../core/run.ts';
import { isLockstepError, LockstepError } from '../errors.ts';
import { slurmSettings } from '../exec/slurm/options.ts';
import type { ExecuteOptions, ExecuteSummary } from '../exec/types.ts';
import { lockFileOf } from '../lock/format.ts';
import { lock, sqliteFiles } from '../lock/lock.ts';
import { toPlain } from '../lock/plain.ts';
import { createSession } from '../session.ts';
import { defaultUrl } from '../store/open.ts';
import { parseArgs } from './args.ts';
import { checkTree } from './clean.ts';
import { closingLine } from './closing.ts';
import { type Entry, type Main, registry, type TaskEnv } from './context.ts';
import { debugWanted } from './debug.ts';
import { flattenConfig } from './file.ts';
import { helpText } from './help.ts';
import { type Plan, plan } from './plan.ts';
import { staleRuns, sweepLockFresh } from './resume.ts';
import type { AnySchema } from './schema.ts';
import { executeTask } from './task.ts';

export interface CliOptions {
  /** Arguments (default: `process.argv.slice(2)`). */
  argv?: readonly string[];
  /** The script's path (default: `process.argv[1]`): names the experiment and is what workers import. */
  script?: string;
  /** The config key holding the output directory (default: save_dir, saveDir, out_dir, outDir, output_dir or outputDir). */
  outKey?: string;
  /** A line for `--help`. */
  description?: string;
}

/** How a `cli` invocation ended: 0 done, 1 a run failed, 2 bad input (nothing ran). */
export interface CliResult {
  code: 0 | 1 | 2;
  message?: string;
  plan?: Plan;
  summary?: ExecuteSummary;
  error?: unknown;
}

const write = (s: string) => process.stdout.write(s);

/**
 * Runs a script's entry point from the command line: parses and checks the
 * arguments against the schema, then runs `main` once, or once per task of a
 * sweep, tracking each as a run and locking its output directory. Returns
 * what happened instead of ending the process (see {@link cli}).
 */
export async function runCli<S extends AnySchema>(
  schema: S,
  main: Main<z.output<S>>,
  options: CliOptions = {},
): Promise<CliResult> {
  const script = resolve(options.script ?? process.argv[1] ?? 'script');
  const scriptName = basename(script, extname(script));
  let p: Plan;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(options.argv ?? process.argv.slice(2));
    if (args.help) {
      write(helpText(`lockstep run ${basename(script)}`, schema, options.description));
      return { code: 0 };
    }
    p = plan(schema, args, options.outKey ? { outKey: options.outKey } : {});
    // A bad Slurm file must stop the command before the experiment is created, like any other bad input.
    if (args.slurm) slurmSettings(args.slurm);
  } catch (e) {
    if (isLockstepError(e) && e.code === 'E_INPUT') return { code: 2, message: e.message, error: e };
    throw e;
  }
  const name = args.name ?? scriptName;
  if (!args.printConfig) {
    try {
      const warning = await checkTree({
        requireClean: args.requireClean,
        exclude: [p.outDir, ...p.tracked.data, ...sqliteFiles(args.db ?? defaultUrl())],
      });
      if (warning) process.stderr.write(`${warning}\n`);
    } catch (e) {
      if (isLockstepError(e) && e.code === 'E_INPUT') return { code: 2, message: e.message, error: e };
      throw e;
    }
  }
  if (args.printConfig) {
    const shown = p.tasks
      ? { config: p.config, tasks: p.tasks.map((t) => ({ params: t.params, config: t.config })) }
      : p.config;
    write(stringify(toPlain(shown), { lineWidth: 0 }));
    return { code: 0, plan: p };
  }
  if (args.dryRun) {
    write(describePlan(name, p, args.jobs, args.slurm));
    return { code: 0, plan: p };
  }
  const env: TaskEnv = {
    script,
    name,
    // a SQLite path made absolute: a worker started elsewhere writes its locks to the same database
    db: dbForTasks(args.db ?? defaultUrl()),
    outKey: p.outKey,
    data: p.tracked.data,
    prevs: p.tracked.prevs,
    parent: null,
    swept: [...new Set((p.tasks ?? []).flatMap((t) => Object.keys(t.params)))],
    lock: !args.noLock,
    debug: debugWanted(args.debug),
  };
  const session = await createSession(args.db);
  try {
    const exp = await session.createExperiment(name, { ifExists: 'load' });
    // A run's params are its whole resolved config, flattened: the same config is the same (logical) run.
    const runs = (p.tasks ?? [{ config: p.config }]).map((t) => exp.addRun(flattenConfig(t.config)));
    // Only this invocation's runs execute: the experiment's other stored runs are left as they are.
    const mine = new Set(runs.map((r) => r.id));
    exp.runs.remove(new Set(exp.runs.map((r) => r.id).filter((id) => !mine.has(id))));
    // what is not code: outputs, data, the database (a capture leaves them out too)
    const notCode = [
      ...(p.outDir ? [p.outDir] : []),
      ...(p.tasks ?? []).flatMap((t) => (t.outDir ? [t.outDir] : [])),
      ...env.data,
      ...sqliteFiles(args.db ?? defaultUrl()),
    ];
    const expected = { data: env.data, prevs: env.prevs, exclude: notCode };
    if (p.tasks && p.outDir && env.lock) {
      // The sweep's own lock: the tasks' locks point at it as their parent. A resumed sweep keeps it while it matches.
      const grid = Object.fromEntries(
        env.swept.map((k) => [k, distinct(p.tasks?.map((t) => t.params[k]).filter((v) => v !== undefined) ?? [])]),
      );
      const config = { ...p.config, sweep: grid };
      if (args.resume && (await sweepLockFresh(p.outDir, config, expected))) env.parent = lockFileOf(p.outDir);
      else
        env.parent = (
          await lock({ path: p.outDir, config, data: env.data, prevs: env.prevs, name, store: session })
        ).file;
    }
    if (args.resume && env.lock) {
      const tasks = runs.map((run, i) => {
        const t = p.tasks?.[i];
        return { run, config: t ? t.config : p.config, outDir: t ? t.outDir : p.outDir };
      });
      for (const { run, reasons } of await staleRuns(tasks, expected)) {
        const label = Object.keys(p.tasks?.[0]?.params ?? {}).length ? runLabel(run, env.swept) : name;
        process.stderr.write(`resume: ${label} runs again: ${reasons.join('; ')}\n`);
      }
    }
    const entry: Entry = { schema, main: main as Main<never>, outKey: p.outKey };
    const pooled = (args.jobs ?? 1) > 1 || args.slurm !== undefined || args.queue;
    const execOptions: ExecuteOptions = {
      rerun: !args.resume,
      ...(args.jobs ? { jobs: args.jobs } : {}),
      ...(args.slurm ? { backend: 'slurm' as const, slurm: args.slurm } : {}),
      ...(args.queue ? { backend: 'queue' as const } : {}),
    };
    let summary: ExecuteSummary;
    if (pooled) {
      // Workers import the script again and find its entry; the plan travels with the step (stored with queued runs).
      const task = { module: taskModule(), export: 'runTask', arg: env };
      summary = await exp.execute(task, execOptions);
    } else {
      summary = await exp.execute((run) => executeTask(entry, run, env), execOptions);
    }
    if (summary.failed === 0 && summary.notRun === 0) {
      const message = closingLine(name, runs, summary, p.tasks !== null, p.outDir ?? null, env.lock);
      return { code: 0, message, plan: p, summary };
    }
    const failed = runs.filter((r) => r.status === 'failed');
    const first = failed[0]?.error;
    const message = p.tasks
      ? `${summary.failed} of ${runs.length} tasks failed${first ? `; first: ${first.message}` : ''}`
      : `${name} failed: ${first?.stack ?? first?.message ?? 'unknown error'}`;
    return { code: 1, message, plan: p, summary };
  } finally {
    await session.close();
  }
}

/** The database URL the tasks' locks go to, as any process can open it. */
function dbForTasks(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.includes(':memory:')) return url;
  return resolve(url.replace(/^sqlite:/, ''));
}

/** A task as the user swept it: `lr=0.1 depth=2`. */
function runLabel(run: Run, swept: readonly string[]): string {
  return swept
    .map((k) => `${k}=${typeof run.params[k] === 'string' ? run.params[k] : JSON.stringify(run.params[k])}`)
    .join(' ');
}

/** The values of a swept key, each once, in order (the sweep's grid as its lock records it). */
function distinct(values: unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const v of values) if (!seen.has(JSON.stringify(v))) seen.set(JSON.stringify(v), v);
  return [...seen.values()];
}

/** task.ts next to this file, or task.js once compiled: a URL string is not rewritten by the build. */
function taskModule(): string {
  return new URL(`./task${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
}

function describePlan(name: string, p: Plan, jobs: number | undefined, slurm: string | undefined): string {
  const lines = [
    `experiment: ${name}`,
    `runs: ${p.tasks ? p.tasks.length : 1}${jobs ? ` (jobs: ${jobs})` : ''}${slurm ? ` on Slurm (${slurm})` : ''}`,
  ];
  if (p.outDir) lines.push(`output: ${p.outDir}`);
  if (p.tracked.data.length) lines.push(`tracked data: ${p.tracked.data.join(', ')}`);
  if (p.tracked.prevs.length) lines.push(`previous stages: ${p.tracked.prevs.join(', ')}`);
  for (const t of p.tasks ?? [])
    lines.push(`  task ${JSON.stringify(toPlain(t.params))}${t.outDir ? ` -> ${t.outDir}` : ''}`);
  lines.push('(dry run: nothing was run or written)');
  return `${lines.join('\n')}\n`;
}

/**
 * Wraps a script's entry point: `lockstep run script.ts …` and
 * `node script.js …` then accept `--config`, `--select`, `-o key=value`,
 * `--sweep`, `--tasks/--task-to`, `--jobs`, `--slurm`, `--name`,
 * `--print-config`, `--dry-run`, `--debug` and `--help` (generated from the
 * schema). Bad input prints one message and sets exit code 2 before anything
 * runs; a failed run sets exit code 1.
 *
 * @example
 * ```ts
 * import { cli } from 'lockstep';
 * import { z } from 'zod';
 *
 * const Config = z.object({
 *   lr: z.number().default(0.1).describe('learning rate'),
 *   save_dir: z.string().default('results/train'),
 * });
 *
 * cli(Config, async (cfg, { run }) => {
 *   run.log('loss', 0.5, 1);
 *   return { accuracy: 0.97 }; // stored as run fields
 * });
 * ```
 */
export async function cli<S extends AnySchema>(
  schema: S,
  main: Main<z.output<S>>,
  options: CliOptions = {},
): Promise<CliResult> {
  const reg = registry();
  if (reg.collecting) {
    // Imported by a worker to find the entry point: record it, do not run.
    reg.entry = { schema, main: main as Main<never>, outKey: options.outKey ?? null };
    return { code: 0 };
  }
  let result: CliResult;
  try {
    result = await runCli(schema, main, options);
  } catch (e) {
    result = {
      code: 1,
      message: e instanceof LockstepError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e),
      error: e,
    };
  }
  finish(result);
  return result;
}

/** The one place a script wrapped by `cli` reports and sets its exit code (2: bad input, 1: failure). */
function finish(result: CliResult): void {
  if (result.code === 0) {
    if (result.message) process.stderr.write(`${result.message}\n`); // the closing line of a run
    return;
  }
  process.stderr.write(`${result.message ?? 'failed'}\n`);
  process.exitCode = result.code;
}
