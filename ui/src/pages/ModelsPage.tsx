// The model registry: registered models, their versions, aliases and tags.
// Shown when the server exposes the registry API; otherwise a clear notice.
import { ApiError, api } from '../api/client.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { KeyValueTable } from '../components/ValueView.tsx';
import { formatCell } from '../format.ts';
import { Link } from '../router.tsx';

type Model = Record<string, unknown> & { name: string };

export function ModelsPage({ model }: { model?: string }) {
  const path = model ? `/api/v1/models/${encodeURIComponent(model)}` : '/api/v1/models';
  const res = useApi((signal) => api.get<Record<string, unknown>>(path, {}, signal), [path]);
  const missing = res.state === 'error' && res.error instanceof ApiError && res.error.status === 404 && !model;
  const models = (res.data?.models ?? []) as Model[];
  return (
    <section className="models-page">
      <h1>{model ? `Model ${model}` : 'Models'}</h1>
      {res.state === 'loading' && <Loading what="Loading the model registry" />}
      {missing && <p className="muted">This server does not expose a model registry API yet.</p>}
      {res.state === 'error' && !missing && <ErrorBox error={res.error} retry={res.reload} />}
      {!model && res.data && models.length === 0 && <p className="muted">No registered models.</p>}
      {!model && models.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>name</th>
              <th>latest version</th>
              <th>aliases</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.name}>
                <td>
                  <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                </td>
                <td>{formatCell(m.latestVersion ?? m.version)}</td>
                <td>{formatCell(m.aliases)}</td>
                <td className="muted">{formatCell(m.description)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {model && res.data && <KeyValueTable record={res.data} />}
    </section>
  );
}
