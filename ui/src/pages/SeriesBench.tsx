// A page for the `ui` benchmark (bench/ui.ts): draws one metric series of
// `?points=` synthetic points with the same SeriesChart the run page uses,
// and records how long uPlot took in `data-draw-ms`. Not linked from the UI.
import { useCallback, useMemo, useRef, useState } from 'react';
import { SeriesChart } from '../charts/SeriesChart.tsx';
import { useQueryState } from '../router.tsx';

export function SeriesBench() {
  const [query] = useQueryState();
  const n = Number(query.get('points') ?? 1_000_000);
  const started = useRef(performance.now());
  const [ms, setMs] = useState<number>();
  const series = useMemo(() => {
    const steps = new Float64Array(n);
    const values = new Float64Array(n);
    let v = 1;
    for (let i = 0; i < n; i++) {
      steps[i] = i;
      v = v * 0.99999 + Math.sin(i / 500) * 0.001 + (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.01;
      values[i] = v;
    }
    started.current = performance.now();
    return [{ label: 'loss', steps, values }];
  }, [n]);
  const onDrawn = useCallback(() => setMs((m) => m ?? performance.now() - started.current), []);
  return (
    <section>
      <h1>Series benchmark: {n.toLocaleString()} points</h1>
      <p data-testid="draw-ms" data-draw-ms={ms}>
        {ms === undefined ? 'drawing…' : `drawn in ${ms.toFixed(0)} ms`}
      </p>
      <SeriesChart series={series} onDrawn={onDrawn} />
    </section>
  );
}
