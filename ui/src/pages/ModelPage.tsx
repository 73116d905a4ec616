// One registered model: its versions (newest first), each linked to the run
// that made it, with metrics, aliases, tags, input schema and file digest.
import { api } from '../api/client.ts';
import type { ExperimentSummary } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { KeyValueTable } from '../components/ValueView.tsx';
import { formatDate, formatNumber } from '../format.ts';
import { Link, paths } from '../router.tsx';
import { Aliases, type RegisteredModel } from './ModelsPage.tsx';

interface ModelVersion {
  version: number;
  /** lockstep (served by `lockstep serve`), mlflow, files or external */
  format: string;
  source: string | null;
  runId: string | null;
  experimentId: string | null;
  digest: string;
  size: number;
  algorithm: string;
  inputSchema: { features: { name: string; type: string }[] };
  labels: string[];
  metrics: Record<string, number>;
  tags: Record<string, string>;
  aliases: string[];
  description: string | null;
  createdAt: string;
}

async function load(name: string, signal: AbortSignal) {
  const [detail, exps] = await Promise.all([
    api.get<{ model: RegisteredModel; versions: ModelVersion[] }>(
      `/api/v1/models/${encodeURIComponent(name)}`,
      {},
      signal,
    ),
    // versions know their experiment by id; the run page needs its name
    api.get<{ experiments: ExperimentSummary[] }>('/api/v1/experiments', {}, signal),
  ]);
  return { ...detail, experiments: new Map(exps.experiments.map((e) => [e.id, e.name])) };
}

export function ModelPage({ name }: { name: string }) {
  const res = useApi((signal) => load(name, signal), [name]);
  return (
    <section className="model-page">
      <div className="exp-tabs">
        <Link href="/models" className="crumb">
          Models
        </Link>
        <span className="crumb-sep">/</span>
        <span className="exp-name">{name}</span>
      </div>
      {res.state === 'loading' && <Loading what="Loading the model" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && (
        <>
          <p>
            <Aliases aliases={res.data.model.aliases} /> <span className="muted">{res.data.model.description}</span>
          </p>
          {Object.keys(res.data.model.tags).length > 0 && <KeyValueTable record={res.data.model.tags} />}
          <table className="grid" data-testid="model-versions">
            <thead>
              <tr>
                <th>version</th>
                <th>aliases</th>
                <th>run</th>
                <th>format</th>
                <th>algorithm</th>
                <th>metrics</th>
                <th>inputs</th>
                <th>labels</th>
                <th>digest</th>
                <th>created</th>
              </tr>
            </thead>
            <tbody>
              {res.data.versions.map((v) => {
                const exp = v.experimentId ? res.data?.experiments.get(v.experimentId) : undefined;
                return (
                  <tr key={v.version}>
                    <td>v{v.version}</td>
                    <td>
                      <Aliases aliases={v.aliases} />
                    </td>
                    <td className="mono">
                      {v.runId && exp ? (
                        <Link href={paths.run(exp, v.runId)}>
                          {exp}/{v.runId.slice(0, 8)}
                        </Link>
                      ) : (
                        (v.runId?.slice(0, 8) ?? '')
                      )}
                    </td>
                    <td title={v.source ?? undefined}>{v.format}</td>
                    <td>{v.algorithm}</td>
                    <td>
                      {Object.entries(v.metrics)
                        .map(([k, x]) => `${k} ${formatNumber(x)}`)
                        .join(', ')}
                    </td>
                    <td>{v.inputSchema.features.map((f) => f.name).join(', ')}</td>
                    <td>{v.labels.join(', ')}</td>
                    <td className="mono" title={v.digest}>
                      {v.digest.slice(0, 16)}
                    </td>
                    <td>{formatDate(v.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
