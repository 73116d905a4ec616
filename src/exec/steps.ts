import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LockstepError } from '../errors.ts';
import { importTypeScript } from './tsLoader.ts';
import type { Step, StepRef, Steps } from './types.ts';

/**
 * Names steps by the module that exports them, so that worker threads, child
 * processes, Slurm tasks and `lockstep worker` processes can load them.
 * Give the exported functions themselves or their export names.
 *
 * @example
 * ```ts
 * export function train(run: Run) { run.fields.acc = fit(run.params.k); }
 * export async function evaluate(run: Run) { … }
 * await exp.execute(steps(import.meta.url, train, 'evaluate'), { jobs: 4 });
 * ```
 */
export function steps(module: string, ...names: (string | Step)[]): StepRef[] {
  const url = moduleUrl(module);
  if (names.length === 0) throw new LockstepError('E_INPUT', 'steps(module, ...names): name at least one export');
  return names.map((n, i) => {
    const name = typeof n === 'function' ? n.name : n;
    if (typeof name !== 'string' || name === '') {
      throw new LockstepError(
        'E_INPUT',
        `steps(): item ${i} has no name; give the export name as a string, e.g. steps(import.meta.url, 'train')`,
      );
    }
    return { module: url, export: name };
  });
}

/** A `file:` URL for a module given as a URL, an absolute path or a path relative to the working directory. */
export function moduleUrl(module: string): string {
  if (typeof module !== 'string' || module === '') {
    throw new LockstepError('E_INPUT', 'a step module must be a file URL or a path, such as import.meta.url');
  }
  if (/^file:\/\//.test(module)) return module;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) {
    throw new LockstepError('E_INPUT', `step module "${module}" must be a file: URL or a path`);
  }
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

export function isStepRef(s: unknown): s is StepRef {
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof (s as StepRef).module === 'string' &&
    typeof (s as StepRef).export === 'string'
  );
}

/** Checks the shape of what `execute` was given and returns it as a list. */
export function stepList(input: Steps): (Step | StepRef)[] {
  const list = typeof input === 'function' || isStepRef(input) ? [input] : input;
  if (!Array.isArray(list)) {
    throw new LockstepError(
      'E_INPUT',
      'execute expects a step function, a step reference from steps(import.meta.url, …) or an array of them',
    );
  }
  list.forEach((s, i) => {
    if (typeof s !== 'function' && !isStepRef(s)) {
      throw new LockstepError(
        'E_INPUT',
        `execute: step ${i} is ${s === null ? 'null' : typeof s}, expected a function (run) => void or steps(import.meta.url, 'name')`,
      );
    }
  });
  return list.map((s) =>
    isStepRef(s)
      ? { module: moduleUrl(s.module), export: s.export, ...(s.arg === undefined ? {} : { arg: s.arg }) }
      : s,
  );
}

/**
 * The module references a worker needs. A plain function cannot be sent to a
 * thread or another machine, so it fails here, before any run starts, with
 * the change to make.
 */
export function requireRefs(list: readonly (Step | StepRef)[], where: string): StepRef[] {
  return list.map((s, i) => {
    if (isStepRef(s)) return s;
    const name = s.name || `step${i}`;
    throw new LockstepError(
      'E_INPUT',
      `step ${i} (${s.name || 'an anonymous function'}) is a plain function, and functions cannot be sent to ${where}. ` +
        `Export it from its module and pass steps(import.meta.url, '${name}') instead of the function ` +
        '(or run with jobs: 1).',
      { details: { step: i } },
    );
  });
}

const cache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Imports a step module. Node 20 cannot import TypeScript in a worker thread
 * (or without a loader), so on ERR_UNKNOWN_FILE_EXTENSION it is loaded again
 * through tsx.
 */
export function loadModule(url: string): Promise<Record<string, unknown>> {
  let p = cache.get(url);
  if (!p) {
    p = (async () => {
      try {
        return (await import(url)) as Record<string, unknown>;
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
        return importTypeScript(url);
      }
    })();
    cache.set(url, p);
  }
  return p;
}

/** Loads the functions behind step references; a missing module or export is an E_INPUT naming it. */
export async function resolveSteps(list: readonly (Step | StepRef)[]): Promise<Step[]> {
  const out: Step[] = [];
  for (const [i, s] of list.entries()) {
    if (typeof s === 'function') {
      out.push(s);
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = await loadModule(s.module);
    } catch (e) {
      throw new LockstepError('E_INPUT', `step ${i}: cannot load module ${s.module}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const fn = mod[s.export];
    if (typeof fn !== 'function') {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new LockstepError(
        'E_INPUT',
        `step ${i}: module ${s.module} has no exported function "${s.export}"` +
          (exported.length ? ` (its exported functions: ${exported.join(', ')})` : ''),
      );
    }
    const arg = s.arg;
    out.push(arg === undefined ? (fn as Step) : (run) => (fn as (r: typeof run, a: unknown) => void)(run, arg));
  }
  return out;
}

/**
 * The names that say which steps a run has completed: the export name of a
 * module reference, the function's name, or for an anonymous function a
 * digest of its source (stable while the code stays the same).
 */
export function stepNames(list: readonly (Step | StepRef)[]): readonly string[] {
  return Object.freeze(
    list.map((s) => {
      if (isStepRef(s)) return s.export;
      if (s.name) return s.name;
      return `anonymous:${createHash('sha256').update(s.toString()).digest('hex').slice(0, 12)}`;
    }),
  );
}
