// 2 to 10 runs side by side: rows that differ are highlighted, and the metric
// series the runs logged are overlaid on one chart per key.
import { useMemo } from 'react';
import { api } from '../api/client.ts';
import type { RunResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { MetricChart } from '../charts/MetricChart.tsx';
import { PALETTE } from '../charts/SeriesChart.tsx';
import { ExperimentTabs } from '../components/Layout.tsx';
import { ErrorBox, Loading, StatusBadge } from '../components/Status.tsx';
import { ValueView } from '../components/ValueView.tsx';
import { classNames, formatDuration, sameValue } from '../format.ts';
import { Link, paths, useQueryState } from '../router.tsx';

export function ComparePage({ name }: { name: string }) {
  const [query, setQuery] = useQueryState();
  const ids = (query.get('runs') ?? '').split(',').filter(Boolean);
  const onlyDiff = query.get('diff') === '1';
  const res = useApi(
    (signal) => Promise.all(ids.map((id) => api.get<RunResponse>(api.run(name, id), {}, signal))),
    [name, ids.join(',')],
  );
  return (
    <section className="compare-page">
      <ExperimentTabs name={name} current="compare" />
      <div className="toolbar">
        <h1>Compare {ids.length} runs</h1>
        <label>
          <input
            type="checkbox"
            checked={onlyDiff}
            onChange={(e) => setQuery({ diff: e.target.checked ? '1' : null }, true)}
          />{' '}
          only differences
        </label>
      </div>
      {(ids.length < 2 || ids.length > 10) && (
        <div className="error-box" role="alert">
          Select 2 to 10 runs to compare (got {ids.length}).
        </div>
      )}
      {res.state === 'loading' && <Loading what="Loading runs" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && <CompareView name={name} runs={res.data} onlyDiff={onlyDiff} />}
    </section>
  );
}

interface Row {
  group: string;
  key: string;
  values: unknown[];
  differs: boolean;
}

function rowsOf(runs: RunResponse[]): Row[] {
  const rows: Row[] = [];
  const add = (group: string, pick: (r: RunResponse) => Record<string, unknown>) => {
    const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))];
    for (const key of keys) {
      const values = runs.map((r) => pick(r)[key]);
      rows.push({ group, key, values, differs: values.some((v) => !sameValue(v, values[0])) });
    }
  };
  add('params', (r) => r.run.params);
  add('config', (r) => r.run.config);
  add('fields', (r) => r.run.fields);
  add('run', (r) => ({ duration: formatDuration(r.run.startedAt, r.run.endedAt), error: r.run.error }));
  return rows;
}

function CompareView({ name, runs, onlyDiff }: { name: string; runs: RunResponse[]; onlyDiff: boolean }) {
  const rows = useMemo(() => rowsOf(runs), [runs]);
  const metricKeys = [...new Set(runs.flatMap((r) => r.metricKeys))];
  const labels = Object.fromEntries(runs.map((r) => [r.run.id, r.run.id.slice(0, 8)]));
  const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
  return (
    <>
      <div className="compare-scroll">
        <table className="grid compare" data-testid="compare-table">
          <thead>
            <tr>
              <th />
              {runs.map((r, i) => (
                <th key={r.run.id}>
                  <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
                  <Link href={paths.run(name, r.run.id)} className="mono">
                    {r.run.id.slice(0, 8)}
                  </Link>{' '}
                  <StatusBadge status={r.run.status} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr
                key={`${row.group}.${row.key}`}
                className={row.differs ? 'differs' : undefined}
                data-differs={row.differs || undefined}
              >
                <th>
                  <span className="muted">{row.group}.</span>
                  {row.key}
                </th>
                {row.values.map((v, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: one cell per compared run, in order
                  <td key={i}>
                    <ValueView
                      value={v}
                      name={row.key}
                      axisLabels={row.group === 'fields' ? classNames(runs[i]!.run.fields) : undefined}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && <p className="muted">The runs do not differ.</p>}
      <h2>Metrics</h2>
      {metricKeys.length === 0 && <p className="muted">None of these runs logged metric series.</p>}
      <div className="metric-grid">
        {metricKeys.map((k) => (
          <MetricChart key={k} experiment={name} runIds={runs.map((r) => r.run.id)} metric={k} labels={labels} />
        ))}
      </div>
    </>
  );
}
