// Calls `fn` every `ms` while `active` (a run is running): the page follows the run without a refresh.
import { useEffect, useRef } from 'react';

export const LIVE_REFRESH_MS = 2000;

export function usePoll(active: boolean, fn: () => void, ms = LIVE_REFRESH_MS): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => latest.current(), ms);
    return () => clearInterval(id);
  }, [active, ms]);
}
