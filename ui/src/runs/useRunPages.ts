// Pages through an experiment's runs: the table asks for the rows it shows and
// this hook fetches the missing pages, so 100,000 runs never travel at once.
// The page after a loaded one is asked for by the cursor the server gave
// (`after=`, a keyset read on an index), a jump by offset; only the first page
// counts the runs. A change of filter, sort or columns starts a new
// generation; answers of an older generation are dropped.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client.ts';
import type { RunRow, RunsPage } from '../api/types.ts';

export const PAGE_SIZE = 200;

export interface RunQuery {
  experiment: string;
  filter: string;
  sort: string;
  order: 'asc' | 'desc';
  columns: string[];
}

export interface RunPages {
  total: number | undefined;
  /** The row at an index, or undefined while its page loads. */
  row(index: number): RunRow | undefined;
  /** Fetches the pages that hold rows first..last. */
  ensure(first: number, last: number): void;
  error: Error | undefined;
  loading: boolean;
  /** Bumped whenever a page arrives, so the table re-renders. */
  version: number;
  /** Some loaded row is a run that is running. */
  running: boolean;
  reload(): void;
  /** Fetches the loaded pages again in place (no flicker, the scroll position stays): live runs change. */
  refresh(): void;
}

export function useRunPages(q: RunQuery, enabled = true): RunPages {
  const key = enabled ? JSON.stringify(q) : '';
  const pages = useRef(new Map<number, RunRow[]>());
  const inflight = useRef(new Map<number, AbortController>());
  /** page → the cursor that starts it (the `next` of the page before) */
  const cursors = useRef(new Map<number, string>());
  const [total, setTotal] = useState<number>();
  const [error, setError] = useState<Error>();
  const [version, setVersion] = useState(0);
  const [generation, setGeneration] = useState(0);
  const genRef = useRef(0);
  /** the total of this generation, -1 until the first page counted it */
  const totalRef = useRef(-1);
  const [running, setRunning] = useState(false);
  const noteRunning = useCallback(
    () => setRunning([...pages.current.values()].some((rows) => rows.some((r) => r.status === 'running'))),
    [],
  );

  /** Fetches `count` consecutive pages from `first` in one request (a scroll jump often straddles two). */
  const fetchPages = useCallback(
    (first: number, count = 1) => {
      const wanted: number[] = [];
      for (let p = first; p < first + count; p++) if (!pages.current.has(p) && !inflight.current.has(p)) wanted.push(p);
      if (wanted.length === 0 || !key) return;
      const from = wanted[0]!;
      const to = wanted[wanted.length - 1]!;
      const gen = genRef.current;
      const ctrl = new AbortController();
      for (let p = from; p <= to; p++) inflight.current.set(p, ctrl);
      const done = () => {
        for (let p = from; p <= to; p++) inflight.current.delete(p);
      };
      const query = JSON.parse(key) as RunQuery;
      const after = cursors.current.get(from);
      api
        .get<RunsPage>(
          `${api.experiment(query.experiment)}/runs`,
          {
            filter: query.filter,
            sort: query.sort,
            order: query.sort ? query.order : undefined,
            // the server adds every metric's last value by itself and refuses `metrics.*` as column names
            columns: query.columns.filter((c) => !c.startsWith('metrics.')).join(','),
            ...(after ? { after } : { offset: from * PAGE_SIZE }),
            limit: (to - from + 1) * PAGE_SIZE,
            count: totalRef.current >= 0 ? 'false' : undefined,
          },
          ctrl.signal,
        )
        .then(
          (res) => {
            if (gen !== genRef.current) return;
            done();
            for (let p = from; p <= to; p++) {
              pages.current.set(p, res.runs.slice((p - from) * PAGE_SIZE, (p - from + 1) * PAGE_SIZE));
            }
            if (res.next) cursors.current.set(to + 1, res.next);
            if (res.total !== null) {
              totalRef.current = res.total;
              setTotal(res.total);
            }
            setError(undefined);
            setVersion((v) => v + 1);
            noteRunning();
          },
          (e: Error) => {
            if (gen !== genRef.current || e.name === 'AbortError') return;
            done();
            setError(e);
          },
        );
    },
    [key, noteRunning],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query or a reload starts a new generation
  useEffect(() => {
    genRef.current++;
    for (const c of inflight.current.values()) c.abort();
    inflight.current.clear();
    pages.current.clear();
    cursors.current.clear();
    totalRef.current = -1;
    setRunning(false);
    setTotal(undefined);
    setError(undefined);
    if (key) fetchPages(0);
  }, [key, generation, fetchPages]);

  // Dragging the scrollbar across 100,000 rows passes hundreds of pages: only
  // the pages where the view comes to rest are fetched, so the server is not
  // queued up with pages nobody looks at. A page next to a loaded one (plain
  // wheel scrolling) is fetched at once, with the following page prefetched.
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const ensure = useCallback(
    (first: number, last: number) => {
      const from = Math.floor(first / PAGE_SIZE);
      const to = Math.floor(last / PAGE_SIZE);
      const near = pages.current.has(from - 1) || pages.current.has(from) || pages.current.has(to + 1);
      const load = () => {
        fetchPages(from, to - from + 1);
        // prefetch the next page once the visible ones are in and half of the last one is on screen
        let visibleLoaded = true;
        for (let p = from; p <= to; p++) visibleLoaded &&= pages.current.has(p);
        if (visibleLoaded && last % PAGE_SIZE > PAGE_SIZE / 2 && (to + 1) * PAGE_SIZE < totalRef.current)
          fetchPages(to + 1);
      };
      clearTimeout(timer.current);
      if (near) load();
      else timer.current = setTimeout(load, 80);
    },
    [fetchPages],
  );

  const refresh = useCallback(() => {
    const loaded = [...pages.current.keys()].sort((a, b) => a - b);
    if (loaded.length === 0 || !key || inflight.current.size > 0) return;
    const gen = genRef.current;
    const query = JSON.parse(key) as RunQuery;
    // the pages in view are the newest asked for; a handful at most
    const last = loaded[loaded.length - 1]!;
    const first = Math.max(loaded[0]!, last - 4);
    api
      .get<RunsPage>(`${api.experiment(query.experiment)}/runs`, {
        filter: query.filter,
        sort: query.sort,
        order: query.sort ? query.order : undefined,
        columns: query.columns.filter((c) => !c.startsWith('metrics.')).join(','),
        offset: first * PAGE_SIZE,
        limit: (last - first + 1) * PAGE_SIZE,
      })
      .then(
        (res) => {
          if (gen !== genRef.current) return;
          for (let p = first; p <= last; p++) {
            pages.current.set(p, res.runs.slice((p - first) * PAGE_SIZE, (p - first + 1) * PAGE_SIZE));
          }
          if (res.next) cursors.current.set(last + 1, res.next);
          if (res.total !== null) {
            totalRef.current = res.total;
            setTotal(res.total);
          }
          setVersion((v) => v + 1);
          noteRunning();
        },
        () => undefined, // a failed refresh keeps what is shown; the next one tries again
      );
  }, [key, noteRunning]);

  return {
    total,
    running,
    refresh,
    row: (i) => pages.current.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE],
    ensure,
    error,
    loading: inflight.current.size > 0,
    version,
    reload: () => setGeneration((g) => g + 1),
  };
}
