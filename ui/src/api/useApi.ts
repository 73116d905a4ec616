// Loads data for a component with visible states: loading, error, data.
// A newer request aborts the older one, so fast typing never shows stale rows.
import { type DependencyList, useEffect, useState } from 'react';

export type Loadable<T> =
  | { state: 'loading'; data?: T }
  | { state: 'error'; error: Error; data?: T }
  | { state: 'ready'; data: T };

export function useApi<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): Loadable<T> & { reload(): void } {
  const [result, setResult] = useState<Loadable<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `load` depends on
  useEffect(() => {
    const ctrl = new AbortController();
    setResult((prev) => ({ state: 'loading', data: prev.data }));
    load(ctrl.signal).then(
      (data) => !ctrl.signal.aborted && setResult({ state: 'ready', data }),
      (error: Error) => !ctrl.signal.aborted && setResult((prev) => ({ state: 'error', error, data: prev.data })),
    );
    return () => ctrl.abort();
  }, [...deps, tick]);
  return { ...result, reload: () => setTick((t) => t + 1) };
}
