// Charts over an experiment: a metric of many runs overlaid, a param against
// a field as a scatter, and parallel coordinates of the params and a field.
import { useMemo } from 'react';
import { api } from '../api/client.ts';
import { loadExperiment } from '../api/experiment.ts';
import type { ExperimentDetail, RunRow, RunsPage } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { chartColumns } from '../charts/columns.ts';
import { EChart } from '../charts/EChart.tsx';
import { MetricChart } from '../charts/MetricChart.tsx';
import { AXIS_PX, parallelOption, scatterOption } from '../charts/options.ts';
import { ExperimentTabs } from '../components/Layout.tsx';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { formatCell } from '../format.ts';
import { useQueryState } from '../router.tsx';

/** MLflow params are strings: "0.008333333333333333" reads better as 0.00833333. */
const numeric = (v: unknown) =>
  typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;

/** Enough runs for a readable chart; bigger experiments are sampled by the current sort. */
const CHART_RUNS = 5000;
const SERIES_RUNS = 20;

export function ChartsPage({ name }: { name: string }) {
  const exp = useApi((signal) => loadExperiment(name, signal), [name]);
  return (
    <section className="charts-page">
      <ExperimentTabs name={name} current="charts" />
      {exp.state === 'loading' && <Loading what="Loading experiment" />}
      {exp.state === 'error' && <ErrorBox error={exp.error} retry={exp.reload} />}
      {exp.data && <Charts exp={exp.data} />}
    </section>
  );
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: { name: string; label: string }[];
  onChange(v: string): void;
}) {
  return (
    <label className="select">
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.name} value={o.name}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const NO_RUNS: RunRow[] = [];

function Charts({ exp }: { exp: ExperimentDetail }) {
  const [query, setQuery] = useQueryState();
  const { params, scalarFields, measures, labels } = useMemo(() => chartColumns(exp), [exp]);
  const metrics = (exp.metricKeys ?? []).map((k) => ({ name: k, label: k }));
  const metric = query.get('metric') ?? metrics[0]?.name ?? '';
  const xs = params.length ? params : measures;
  const x = query.get('x') ?? xs[0]?.name ?? '';
  const y = query.get('y') ?? measures.find((m) => m.name !== x)?.name ?? '';
  const label = (n: string) => labels.get(n) ?? n;

  // the runs API adds every metric's last value by itself and refuses `metrics.*` as column names
  const cols = [...new Set([...params.map((p) => p.name), ...scalarFields.map((f) => f.name)])];
  const rows = useApi(
    (signal) =>
      api.get<RunsPage>(
        `${api.experiment(exp.name)}/runs`,
        { columns: cols.join(','), limit: CHART_RUNS, sort: y || undefined, order: y ? 'desc' : undefined },
        signal,
      ),
    [exp.name, cols.join(','), y],
  );
  const data = rows.data?.runs ?? NO_RUNS;
  const scatter = useMemo(
    () => scatterOption(data, x, y, labels.get(x) ?? x, labels.get(y) ?? y),
    [data, x, y, labels],
  );
  const dims = useMemo(
    () => [...params, ...(y && !params.some((p) => p.name === y) ? [{ name: y, label: labels.get(y) ?? y }] : [])],
    [params, y, labels],
  );
  const parallel = useMemo(() => parallelOption(data, dims, y), [data, dims, y]);
  const topRuns = data.slice(0, SERIES_RUNS).map((r) => r.run_id);
  const runLabels = useMemo(
    () =>
      Object.fromEntries(
        data.slice(0, SERIES_RUNS).map((r) => [
          r.run_id,
          params
            .filter((p) => r[p.name] !== null && r[p.name] !== undefined)
            .map((p) => `${p.label}=${formatCell(numeric(r[p.name]))}`)
            .join(' ') || r.run_id.slice(0, 8),
        ]),
      ),
    [data, params],
  );
  // until the runs arrive the title names no count
  const shown = rows.data ? `${Math.min(SERIES_RUNS, topRuns.length)} ` : '';
  const which = y ? `the best ${shown}runs by ${label(y)}` : `${shown || 'the '}runs`;

  return (
    <>
      <div className="toolbar">
        <Select label="metric" value={metric} options={metrics} onChange={(v) => setQuery({ metric: v })} />
        <Select label="x" value={x} options={xs} onChange={(v) => setQuery({ x: v })} />
        <Select label="y" value={y} options={measures} onChange={(v) => setQuery({ y: v })} />
      </div>
      {rows.state === 'loading' && <Loading what="Loading runs" />}
      {rows.state === 'error' && <ErrorBox error={rows.error} retry={rows.reload} />}
      {rows.data && (rows.data.total ?? 0) > data.length && (
        <p className="muted">
          Showing {y ? 'the best ' : ''}
          {data.length.toLocaleString()} of {(rows.data.total ?? 0).toLocaleString()} runs{y ? ` by ${label(y)}` : ''}.
        </p>
      )}
      <div className="card">
        <h2 data-testid="series-title">{metric ? `${metric} of ${which}` : 'Metric series'}</h2>
        {metrics.length === 0 && <p className="muted">No metric series logged in this experiment.</p>}
        {metric && topRuns.length > 0 && (
          <MetricChart experiment={exp.name} runIds={topRuns} metric={metric} labels={runLabels} />
        )}
      </div>
      <div className="cards">
        <div className="card wide">
          <h2 data-testid="scatter-title">{x && y ? `${label(y)} against ${label(x)}` : 'Scatter'}</h2>
          {x && y ? (
            <EChart option={scatter} label="scatter" />
          ) : (
            <p className="muted">Needs two columns to plot: this experiment has no params, scalar fields or metrics.</p>
          )}
        </div>
        {/* as wide as its axes need: beside the scatter when they fit, on a row of its own when not */}
        <div className="card wide parallel-card" style={{ flexBasis: Math.max(480, dims.length * AXIS_PX + 40) }}>
          <h2 data-testid="parallel-title">
            Parallel coordinates{dims.length ? `: ${dims.map((d) => d.label).join(', ')}` : ''}
          </h2>
          {dims.length >= 2 ? (
            <div style={{ minWidth: dims.length * AXIS_PX }}>
              <EChart option={parallel} label="parallel coordinates" height={380} />
            </div>
          ) : (
            <p className="muted" data-testid="parallel-empty">
              Needs at least two axes (params, and a field or metric to color by); this experiment has{' '}
              {dims.length === 0 ? 'none' : `only ${dims[0]!.label}`}.
            </p>
          )}
        </div>
      </div>
    </>
  );
}
