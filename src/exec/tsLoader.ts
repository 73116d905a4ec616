import type { NamespacedUnregister } from 'tsx/esm/api';
import { LockstepError } from '../errors.ts';

const KEY = Symbol.for('lockstep.tsx');

/**
 * Imports a TypeScript module through tsx where Node cannot (worker threads on
 * Node 20, or a process started without a loader). One namespace per thread,
 * shared with the worker's own code, so that a step module and lockstep
 * itself see the same module instances (one `Run` class, not two).
 */
export async function importTypeScript(url: string): Promise<Record<string, unknown>> {
  const g = globalThis as Record<symbol, NamespacedUnregister | undefined>;
  let api = g[KEY];
  if (!api) {
    let tsx: typeof import('tsx/esm/api');
    try {
      tsx = await import('tsx/esm/api');
    } catch (e) {
      throw new LockstepError(
        'E_UNAVAILABLE',
        `${url} is TypeScript, and loading it here needs tsx (npm install tsx), or build it to JavaScript first`,
        { cause: e },
      );
    }
    api = tsx.register({ namespace: 'lockstep' });
    g[KEY] = api;
  }
  return (await api.import(url, import.meta.url)) as Record<string, unknown>;
}
