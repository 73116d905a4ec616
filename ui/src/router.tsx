// A small history router: the path picks the page and the query string holds
// the view's state (filter, sort, columns, selection), so every view is a URL
// that can be shared. No router package: the UI has eight routes.
import { type AnchorHTMLAttributes, type MouseEvent, useCallback, useSyncExternalStore } from 'react';

const CHANGE = 'lockstep:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(CHANGE, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(CHANGE, cb);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, 'http://x');
  return { path: url.pathname, query: url.searchParams };
}

/**
 * Reads and writes query-string state. `set` merges: a value of '' or null
 * removes the key, so URLs stay short. Typing into a box replaces the
 * history entry instead of pushing one per keystroke.
 */
export function useQueryState(): [URLSearchParams, (patch: Record<string, string | null>, replace?: boolean) => void] {
  const { path, query } = useLocation();
  const set = useCallback(
    (patch: Record<string, string | null>, replace = false) => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      navigate(qs ? `${path}?${qs}` : path, { replace });
    },
    [path],
  );
  return [query, set];
}

/** Matches `/experiments/:name/runs/:runId` style patterns; returns decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    const val = s[i]!;
    if (seg.startsWith(':')) out[seg.slice(1)] = decodeURIComponent(val);
    else if (seg !== val) return null;
  }
  return out;
}

/** An anchor that navigates without reloading, and still opens in a new tab on ctrl/middle click. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, ...rest } = props;
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...rest} href={props.href} onClick={handle} />;
}

export const paths = {
  experiments: () => '/',
  runs: (name: string) => `/experiments/${encodeURIComponent(name)}`,
  run: (name: string, runId: string) => `/experiments/${encodeURIComponent(name)}/runs/${encodeURIComponent(runId)}`,
  compare: (name: string, runIds: string[]) =>
    `/experiments/${encodeURIComponent(name)}/compare?runs=${runIds.map(encodeURIComponent).join(',')}`,
  charts: (name: string) => `/experiments/${encodeURIComponent(name)}/charts`,
  lineage: () => '/lineage',
  sql: (q?: string) => (q ? `/sql?q=${encodeURIComponent(q)}` : '/sql'),
  models: () => '/models',
};
