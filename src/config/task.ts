import { pathToFileURL } from 'node:url';
import type { Run } from '../core/run.ts';
import { LockstepError } from '../errors.ts';
import { loadModule } from '../exec/steps.ts';
import { lock } from '../lock/lock.ts';
import { type Entry, registry, type TaskEnv } from './context.ts';
import { captureLocals, formatLocals, localsOf, openRepl } from './debug.ts';
import { unflatten } from './file.ts';
import { validate } from './plan.ts';

/**
 * Runs `main` for one run: its config, then main (capturing the failing
 * frame's locals when debugging), its returned values as fields, then its
 * run.lock. The same function serves inline runs and workers.
 */
export async function executeTask(entry: Entry, run: Run, env: TaskEnv): Promise<void> {
  const config = validate(entry.schema, unflatten(run.params), `run ${run.id}`);
  const outDir = env.outKey && typeof config[env.outKey] === 'string' ? (config[env.outKey] as string) : null;
  const params = Object.fromEntries(env.swept.map((k) => [k, run.params[k]]));
  const data = [...env.data];
  const prevs = [...env.prevs];
  const ctx = {
    run,
    name: env.name,
    outDir,
    params,
    track: (p: string) => void data.push(p),
    stage: (d: string) => void prevs.push(d),
  };
  const call = () => Promise.resolve((entry.main as (c: unknown, x: typeof ctx) => unknown)(config, ctx));
  let result: unknown;
  try {
    result = env.debug ? await captureLocals(call) : await call();
  } catch (e) {
    const frames = localsOf(e);
    if (frames?.length) {
      process.stderr.write(`\nlockstep debug: ${(e as Error)?.message ?? String(e)}\n${formatLocals(frames)}\n`);
      const text = frames.map((f) => `${f.function}: ${Object.keys(f.locals).join(', ')}`).join('; ');
      run.fields.debug_locals = text;
      // A person at a terminal gets a REPL with the locals in scope; in CI or a worker, the printout is all.
      if (process.stdin.isTTY && process.stdout.isTTY) await openRepl(e, frames);
    }
    throw e;
  }
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) Object.assign(run.fields, result);
  if (env.lock && outDir) {
    const out = await lock({
      path: outDir,
      config,
      data,
      prevs,
      name: Object.keys(run.params).length
        ? `${env.name} ${Object.entries(run.params)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ')}`
        : env.name,
      ...(env.parent ? { parent: env.parent } : {}),
      run: { experiment: env.name, id: run.id },
      ...(env.db ? { store: env.db } : {}),
    });
    run.fields.lock_id = out.lock.id;
    run.fields.lock_path = out.file;
  }
}

/**
 * The step a worker thread, a child process, a Slurm task or a `lockstep
 * worker` on another machine runs: imports the script to find its entry,
 * then runs it. The plan comes with the step (its `arg`), stored with the
 * queued runs, so nothing depends on the environment of the process that
 * started the sweep.
 */
export async function runTask(run: Run, env: TaskEnv | undefined): Promise<void> {
  if (!env || typeof env !== 'object' || typeof env.script !== 'string')
    throw new LockstepError('E_RUN', 'runTask: the step came without its plan; it only runs under cli()');
  const reg = registry();
  if (!reg.entry) {
    reg.collecting = true;
    try {
      await loadModule(pathToFileURL(env.script).href);
    } finally {
      reg.collecting = false;
    }
  }
  if (!reg.entry) throw new LockstepError('E_RUN', `${env.script} did not call cli(schema, main) when imported`);
  await executeTask(reg.entry, run, env);
}
