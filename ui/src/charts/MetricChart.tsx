// One metric key of one or more runs, loaded from the API and overlaid.
import { useCallback, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type { MetricPoint, MetricResponse, SeriesResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { type Series, SeriesChart } from './SeriesChart.tsx';

const MAX_POINTS = 2000;

function toSeries(label: string, points: MetricPoint[]): Series {
  return {
    label,
    steps: points.map((p) => p.step),
    values: points.map((p) => (typeof p.value === 'number' ? p.value : null)),
  };
}

export function MetricChart({
  experiment,
  runIds,
  metric,
  labels,
  refresh,
}: {
  experiment: string;
  runIds: string[];
  metric: string;
  labels?: Record<string, string>;
  /** A new value fetches the series again (a live run's page passes its latest answer). */
  refresh?: unknown;
}) {
  const key = runIds.join(',');
  // a zoomed step range of a single run, fetched again at full detail
  const [range, setRange] = useState<[number, number] | null>(null);
  const single = runIds.length === 1;
  const res = useApi(
    async (signal) => {
      if (runIds.length === 1) {
        const r = await api.get<MetricResponse>(
          api.metric(experiment, runIds[0]!, metric),
          { maxPoints: MAX_POINTS, minStep: range?.[0], maxStep: range?.[1] },
          signal,
        );
        return { series: [{ runId: runIds[0]!, points: r.points }], downsampled: r.downsampled, total: r.total };
      }
      const r = await api.get<SeriesResponse>(
        `${api.experiment(experiment)}/metrics`,
        { key: metric, runIds: key, maxPoints: MAX_POINTS },
        signal,
      );
      return { series: r.series, downsampled: false, total: undefined };
    },
    [experiment, key, metric, range?.[0], range?.[1], refresh],
  );
  const onZoom = useCallback((min: number, max: number) => setRange([Math.floor(min), Math.ceil(max)]), []);
  // set once uPlot drew the series (the `ui` benchmark times navigation → drawn chart)
  const [drawn, setDrawn] = useState(false);
  const onDrawn = useCallback(() => setDrawn(true), []);
  const series = useMemo(
    () => (res.data ? res.data.series.map((s) => toSeries(labels?.[s.runId] ?? s.runId.slice(0, 8), s.points)) : []),
    [res.data, labels],
  );
  return (
    <figure
      className="metric"
      data-testid={`metric-${metric}`}
      data-points={res.data ? res.data.series.reduce((n, s) => n + s.points.length, 0) : undefined}
      data-drawn={drawn || undefined}
    >
      <figcaption>
        {metric}
        {res.data?.downsampled && (
          <span className="muted"> ({res.data.total?.toLocaleString()} points, downsampled; drag to zoom in)</span>
        )}
        {range && (
          <span className="muted">
            {' '}
            steps {range[0]}–{range[1]}{' '}
            <button type="button" className="link-button" onClick={() => setRange(null)}>
              reset zoom
            </button>
          </span>
        )}
      </figcaption>
      {res.state === 'loading' && !res.data && <Loading what={`Loading ${metric}`} />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && series.every((s) => s.steps.length === 0) && <p className="muted">no points</p>}
      {res.data && series.some((s) => s.steps.length > 0) && (
        <SeriesChart series={series} onZoom={single ? onZoom : undefined} onDrawn={onDrawn} />
      )}
    </figure>
  );
}
