// The experiments list: name, runs, last update, description; searchable.
import { api } from '../api/client.ts';
import type { ExperimentSummary } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { formatDate } from '../format.ts';
import { Link, paths, useQueryState } from '../router.tsx';

export function ExperimentsPage() {
  const [query, setQuery] = useQueryState();
  const search = query.get('search') ?? '';
  const res = useApi(
    (signal) => api.get<{ experiments: ExperimentSummary[] }>('/api/v1/experiments', { search }, signal),
    [search],
  );
  const list = res.data?.experiments ?? [];
  return (
    <section>
      <div className="toolbar">
        <h1>Experiments</h1>
        <input
          type="search"
          placeholder="Search experiments…"
          aria-label="Search experiments"
          value={search}
          onChange={(e) => setQuery({ search: e.target.value }, true)}
        />
      </div>
      {res.state === 'loading' && <Loading what="Loading experiments" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && list.length === 0 && (
        <p className="muted" data-testid="no-experiments">
          {search ? (
            `No experiment matches "${search}".`
          ) : (
            <>
              No experiments yet: run <code>npm run demo</code> to track the iris example.
            </>
          )}
        </p>
      )}
      {list.length > 0 && (
        <table className="grid" data-testid="experiments">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Runs</th>
              <th>Last update</th>
              <th>Created</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link href={paths.runs(e.name)}>{e.name}</Link>
                </td>
                <td className="num">{e.runs.toLocaleString()}</td>
                <td>{formatDate(e.updatedAt)}</td>
                <td>{formatDate(e.createdAt)}</td>
                <td className="muted">{e.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
