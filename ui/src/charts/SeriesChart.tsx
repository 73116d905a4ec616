// Metric series with uPlot, which draws a million points in well under a
// second. Several series (runs) are overlaid on one step axis.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number | null>;
}

export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

function toData(series: Series[]): uPlot.AlignedData {
  if (series.length === 1) {
    const s = series[0]!;
    return [s.steps as number[], s.values as (number | null)[]];
  }
  // Different runs log at different steps: join them on the union of steps.
  return uPlot.join(series.map((s) => [s.steps as number[], s.values as (number | null)[]]));
}

export function SeriesChart({
  series,
  title,
  height = 260,
  onDrawn,
}: {
  series: Series[];
  title?: string;
  height?: number;
  /** Called after uPlot drew the data (the benchmark times this). */
  onDrawn?: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || series.length === 0) return;
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, {}],
      series: [
        { label: 'step' },
        ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true })),
      ],
      hooks: onDrawn ? { draw: [() => onDrawn()] } : {},
    };
    const plot = new uPlot(opts, toData(series), el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [series, title, height, onDrawn]);
  return <div ref={ref} className="series-chart" data-testid="series-chart" />;
}
