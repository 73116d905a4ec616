import type { NamespacedUnregister } from 'tsx/esm/api';

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
    const { register } = await import('tsx/esm/api');
    api = register({ namespace: 'lockstep' });
    g[KEY] = api;
  }
  return (await api.import(url, import.meta.url)) as Record<string, unknown>;
}
