import type { Run } from '../core/run.ts';
import type { AnySchema } from './schema.ts';

/** What `main` receives besides its config. */
export interface RunContext {
  /** The tracked run: `run.log(key, value, step)` for metrics, `run.fields` for results. */
  run: Run;
  /** The experiment name (`--name`, else the script's name). */
  name: string;
  /** The run's output directory (from the config's save_dir/out_dir/… key), where run.lock goes. */
  outDir: string | null;
  /** The swept values of this task (empty for a single run). */
  params: Record<string, unknown>;
  /** Adds a data file or directory whose hash goes into this run's lock. */
  track(path: string): void;
  /** Adds a previous stage (its run.lock or directory) to this run's lineage. */
  stage(dir: string): void;
}

/** The entry point a script gives to `cli`. Returning an object stores its values as run fields. */
export type Main<C> = (config: C, ctx: RunContext) => unknown | Promise<unknown>;

/** A script's schema and main, as a worker finds them after importing the script. */
export interface Entry {
  schema: AnySchema;
  main: Main<never>;
  outKey: string | null;
}

/** What the process running a sweep tells the processes running its tasks (the `arg` of their step). */
export interface TaskEnv {
  script: string;
  name: string;
  db: string | undefined;
  outKey: string | null;
  data: string[];
  prevs: string[];
  parent: string | null;
  /** The keys a sweep varies (what names its tasks). */
  swept: string[];
  lock: boolean;
  debug: boolean;
}

const REGISTRY = Symbol.for('lockstep.cli.registry');

type Registry = { collecting: boolean; entry?: Entry };

/** The per-thread registry: while a worker imports a script, `cli()` records its entry here instead of running. */
export function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  g[REGISTRY] ??= { collecting: false };
  return g[REGISTRY];
}
