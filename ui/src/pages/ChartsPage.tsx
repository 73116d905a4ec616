// Charts over an experiment: a metric of many runs overlaid, a param against
// a field as a scatter, and parallel coordinates of the params and a field.
import { useMemo } from 'react';
import { api } from '../api/client.ts';
import { loadExperiment } from '../api/experiment.ts';
import type { ExperimentDetail, RunRow, RunsPage } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { EChart } from '../charts/EChart.tsx';
import { MetricChart } from '../charts/MetricChart.tsx';
import { parallelOption, scatterOption } from '../charts/options.ts';
import { ExperimentTabs } from '../components/Layout.tsx';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { useQueryState } from '../router.tsx';

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

function chartColumns(exp: ExperimentDetail) {
  const params = exp.columns.filter((c) => c.role === 'param').map((c) => ({ name: c.name, label: c.key }));
  const scalarFields = exp.columns
    .filter((c) => c.role === 'field' && !['json', 'encoded'].includes(c.kind ?? ''))
    .map((c) => ({ name: c.name, label: c.key }));
  const labels = new Map([...params, ...scalarFields].map((c) => [c.name, c.label]));
  return { params, scalarFields, labels };
}

function Charts({ exp }: { exp: ExperimentDetail }) {
  const [query, setQuery] = useQueryState();
  const { params, scalarFields, labels } = useMemo(() => chartColumns(exp), [exp]);
  const metrics = (exp.metricKeys ?? []).map((k) => ({ name: k, label: k }));
  const metric = query.get('metric') ?? metrics[0]?.name ?? '';
  const x = query.get('x') ?? params[0]?.name ?? '';
  const y = query.get('y') ?? scalarFields[0]?.name ?? '';
  const label = (n: string) => labels.get(n) ?? n;

  const cols = [...new Set([...params.map((p) => p.name), ...scalarFields.map((f) => f.name)])];
  const rows = useApi(
    (signal) =>
      api.get<RunsPage>(
        `${api.experiment(exp.name)}/runs`,
        { columns: cols.join(','), limit: CHART_RUNS, sort: y || undefined, order: 'desc' },
        signal,
      ),
    [exp.name, cols.join(','), y],
  );
  const data = rows.data?.runs ?? NO_RUNS;
  const scatter = useMemo(
    () => scatterOption(data, x, y, labels.get(x) ?? x, labels.get(y) ?? y),
    [data, x, y, labels],
  );
  const parallel = useMemo(
    () => parallelOption(data, [...params, ...(y ? [{ name: y, label: labels.get(y) ?? y }] : [])], y),
    [data, y, params, labels],
  );
  const topRuns = data.slice(0, SERIES_RUNS).map((r) => r.run_id);
  const runLabels = useMemo(
    () =>
      Object.fromEntries(
        data.slice(0, SERIES_RUNS).map((r) => [
          r.run_id,
          params
            .filter((p) => r[p.name] !== null && r[p.name] !== undefined)
            .map((p) => `${p.label}=${r[p.name]}`)
            .join(' ') || r.run_id.slice(0, 8),
        ]),
      ),
    [data, params],
  );

  return (
    <>
      <div className="toolbar">
        <Select label="metric" value={metric} options={metrics} onChange={(v) => setQuery({ metric: v })} />
        <Select label="x (param)" value={x} options={params} onChange={(v) => setQuery({ x: v })} />
        <Select label="y (field)" value={y} options={scalarFields} onChange={(v) => setQuery({ y: v })} />
      </div>
      {rows.state === 'loading' && <Loading what="Loading runs" />}
      {rows.state === 'error' && <ErrorBox error={rows.error} retry={rows.reload} />}
      {rows.data && (rows.data.total ?? 0) > data.length && (
        <p className="muted">
          Showing the best {data.length.toLocaleString()} of {(rows.data.total ?? 0).toLocaleString()} runs by{' '}
          {label(y)}.
        </p>
      )}
      <div className="card">
        <h2>
          {metric || 'metric'} of the best {Math.min(SERIES_RUNS, topRuns.length)} runs by {label(y)}
        </h2>
        {metrics.length === 0 && <p className="muted">No metric series logged in this experiment.</p>}
        {metric && topRuns.length > 0 && (
          <MetricChart experiment={exp.name} runIds={topRuns} metric={metric} labels={runLabels} />
        )}
      </div>
      <div className="cards">
        <div className="card wide">
          <h2>
            {label(y)} against {label(x)}
          </h2>
          {x && y ? (
            <EChart option={scatter} label="scatter" />
          ) : (
            <p className="muted">Needs a param and a scalar field.</p>
          )}
        </div>
        <div className="card wide">
          <h2>Parallel coordinates: params and {label(y)}</h2>
          {params.length > 0 ? (
            <EChart option={parallel} label="parallel coordinates" height={360} />
          ) : (
            <p className="muted">No params.</p>
          )}
        </div>
      </div>
    </>
  );
}
