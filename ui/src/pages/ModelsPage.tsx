// The model registry: registered models with their latest version, aliases
// (such as `champion`) and tags.
import { api } from '../api/client.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { formatDate } from '../format.ts';
import { Link } from '../router.tsx';

export interface RegisteredModel {
  name: string;
  description: string | null;
  latestVersion: number | null;
  versions: number;
  aliases: Record<string, number>;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export const modelPath = (name: string) => `/models/${encodeURIComponent(name)}`;

export function Aliases({ aliases }: { aliases: Record<string, number> | string[] }) {
  const list = Array.isArray(aliases) ? aliases.map((a) => [a, null] as const) : Object.entries(aliases);
  return (
    <>
      {list.map(([alias, version]) => (
        <span key={alias} className="badge badge-alias">
          @{alias}
          {version !== null && ` → v${version}`}
        </span>
      ))}
    </>
  );
}

export function ModelsPage() {
  const res = useApi((signal) => api.get<{ models: RegisteredModel[] }>('/api/v1/models', {}, signal), []);
  const models = res.data?.models ?? [];
  return (
    <section className="models-page">
      <h1>Models</h1>
      {res.state === 'loading' && <Loading what="Loading the model registry" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && models.length === 0 && (
        <p className="muted">
          No registered models yet: <code>{'session.models.register(name, file, { runId })'}</code> adds one.
        </p>
      )}
      {models.length > 0 && (
        <table className="grid" data-testid="models">
          <thead>
            <tr>
              <th>name</th>
              <th className="num">latest version</th>
              <th className="num">versions</th>
              <th>aliases</th>
              <th>updated</th>
              <th>description</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.name}>
                <td>
                  <Link href={modelPath(m.name)}>{m.name}</Link>
                </td>
                <td className="num">{m.latestVersion === null ? '' : `v${m.latestVersion}`}</td>
                <td className="num">{m.versions}</td>
                <td>
                  <Aliases aliases={m.aliases} />
                </td>
                <td>{formatDate(m.updatedAt)}</td>
                <td className="muted">{m.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
