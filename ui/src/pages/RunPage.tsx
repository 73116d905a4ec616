// One run: status, config, params, fields, metric charts, the run lock,
// artifacts, and the error with its stack when the run failed.
import { api } from '../api/client.ts';
import type { RunResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { LIVE_REFRESH_MS, usePoll } from '../api/usePoll.ts';
import { MetricChart } from '../charts/MetricChart.tsx';
import { ExperimentTabs } from '../components/Layout.tsx';
import { LockView } from '../components/LockView.tsx';
import { ErrorBox, Loading, StatusBadge } from '../components/Status.tsx';
import { KeyValueTable } from '../components/ValueView.tsx';
import { formatDate, formatDuration } from '../format.ts';

export function RunPage({ name, runId }: { name: string; runId: string }) {
  const res = useApi((signal) => api.get<RunResponse>(api.run(name, runId), {}, signal), [name, runId]);
  // a running run is followed: its row, its fields and its charts refresh until it ends
  const live = res.data?.run.status === 'running';
  usePoll(live, res.reload);
  return (
    <section className="run-page">
      <ExperimentTabs name={name} current="run" />
      {res.state === 'loading' && !res.data && <Loading what="Loading run" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && <RunView name={name} data={res.data} live={live} />}
    </section>
  );
}

function RunView({ name, data, live }: { name: string; data: RunResponse; live: boolean }) {
  const { run, metricKeys, lock } = data;
  const tags = (run as { tags?: Record<string, unknown> }).tags;
  return (
    <>
      <h1 className="run-title">
        Run <code>{run.id}</code> <StatusBadge status={run.status} />{' '}
        {live && (
          <span className="live-note" data-testid="run-live">
            live, refreshing every {LIVE_REFRESH_MS / 1000} s
          </span>
        )}
      </h1>
      <p className="muted">
        started {formatDate(run.startedAt) || '—'} · ended {formatDate(run.endedAt) || '—'}
        {run.startedAt && run.endedAt && ` · took ${formatDuration(run.startedAt, run.endedAt)}`}
      </p>
      {(run.status === 'failed' || run.status === 'interrupted') && (
        <div className="error-box run-error" role="alert" data-testid="run-error">
          <strong>{run.error ?? 'failed'}</strong>
          {run.errorStack && <pre>{run.errorStack}</pre>}
        </div>
      )}
      <div className="cards">
        <div className="card">
          <h2>Params</h2>
          <KeyValueTable record={run.params} testId="run-params" />
        </div>
        <div className="card">
          <h2>Config</h2>
          <KeyValueTable record={run.config} testId="run-config" />
        </div>
        {tags && Object.keys(tags).length > 0 && (
          <div className="card">
            <h2>Tags</h2>
            <KeyValueTable record={tags} />
          </div>
        )}
      </div>
      <div className="card">
        <h2>Fields</h2>
        <KeyValueTable record={run.fields} testId="run-fields" />
      </div>
      <div className="card">
        <h2>Metrics</h2>
        {metricKeys.length === 0 ? (
          <p className="muted">This run logged no metric series.</p>
        ) : (
          <div className="metric-grid">
            {metricKeys.map((k) => (
              <MetricChart key={k} experiment={name} runIds={[run.id]} metric={k} refresh={data} />
            ))}
          </div>
        )}
      </div>
      <div className="card">
        <h2>Run lock</h2>
        {lock ? <LockView lock={lock} /> : <p className="muted">No run lock recorded for this run.</p>}
      </div>
      <div className="card">
        <h2>Artifacts</h2>
        {data.artifacts && data.artifacts.length > 0 ? (
          <table className="grid compact" data-testid="run-artifacts">
            <tbody>
              {data.artifacts.map((a) => (
                <tr key={a.path}>
                  <td>{a.url ? <a href={a.url}>{a.path}</a> : a.path}</td>
                  <td>{String(a.kind ?? '')}</td>
                  <td className="num">{a.size ?? ''}</td>
                  <td className="mono">{a.digest ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No artifacts recorded for this run.</p>
        )}
      </div>
    </>
  );
}
