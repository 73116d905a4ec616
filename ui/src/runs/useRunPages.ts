// Pages through an experiment's runs: the table asks for the rows it shows and
// this hook fetches the missing pages, so 100,000 runs never travel at once.
// A change of filter, sort or columns starts a new generation; answers of an
// older generation are dropped.
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
  reload(): void;
}

export function useRunPages(q: RunQuery): RunPages {
  const key = JSON.stringify(q);
  const pages = useRef(new Map<number, RunRow[]>());
  const inflight = useRef(new Map<number, AbortController>());
  const [total, setTotal] = useState<number>();
  const [error, setError] = useState<Error>();
  const [version, setVersion] = useState(0);
  const [generation, setGeneration] = useState(0);
  const genRef = useRef(0);

  const fetchPage = useCallback(
    (page: number) => {
      if (pages.current.has(page) || inflight.current.has(page)) return;
      const gen = genRef.current;
      const ctrl = new AbortController();
      inflight.current.set(page, ctrl);
      const query = JSON.parse(key) as RunQuery;
      api
        .get<RunsPage>(
          `${api.experiment(query.experiment)}/runs`,
          {
            filter: query.filter,
            sort: query.sort,
            order: query.sort ? query.order : undefined,
            columns: query.columns.join(','),
            offset: page * PAGE_SIZE,
            limit: PAGE_SIZE,
          },
          ctrl.signal,
        )
        .then(
          (res) => {
            if (gen !== genRef.current) return;
            inflight.current.delete(page);
            pages.current.set(page, res.runs);
            setTotal(res.total);
            setError(undefined);
            setVersion((v) => v + 1);
          },
          (e: Error) => {
            if (gen !== genRef.current || e.name === 'AbortError') return;
            inflight.current.delete(page);
            setError(e);
          },
        );
    },
    [key],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new query or a reload starts a new generation
  useEffect(() => {
    genRef.current++;
    for (const c of inflight.current.values()) c.abort();
    inflight.current.clear();
    pages.current.clear();
    setTotal(undefined);
    setError(undefined);
    fetchPage(0);
  }, [key, generation, fetchPage]);

  const ensure = useCallback(
    (first: number, last: number) => {
      for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) fetchPage(p);
    },
    [fetchPage],
  );

  return {
    total,
    row: (i) => pages.current.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE],
    ensure,
    error,
    loading: inflight.current.size > 0,
    version,
    reload: () => setGeneration((g) => g + 1),
  };
}
