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

const STEP_INCRS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7,
];

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
  onZoom,
}: {
  series: Series[];
  title?: string;
  height?: number;
  /** Called after uPlot drew the data (the benchmark times this). */
  onDrawn?: () => void;
  /** Called with the step range the user selected by dragging (uPlot zooms in the meantime). */
  onZoom?: (min: number, max: number) => void;
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
      // steps are integers: no tick at step 0.5
      axes: [{ label: 'step', incrs: STEP_INCRS }, {}],
      series: [
        { label: 'step' },
        ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true })),
      ],
      hooks: {
        draw: onDrawn ? [() => onDrawn()] : [],
        setSelect: onZoom
          ? [
              (u: uPlot) => {
                if (u.select.width < 2) return;
                onZoom(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
              },
            ]
          : [],
      },
    };
    const plot = new uPlot(opts, toData(series), el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [series, title, height, onDrawn, onZoom]);
  return <div ref={ref} className="series-chart" data-testid="series-chart" />;
}
