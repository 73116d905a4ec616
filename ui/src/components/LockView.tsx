// A run lock: code (commit, dirty), data hashes, environment and the previous
// stages it consumed. Unknown shapes fall back to a plain key/value view.
import { KeyValueTable } from './ValueView.tsx';

interface Repo {
  path: string;
  commit: string | null;
  tree?: string;
  dirty: boolean;
  branch?: string | null;
  captured?: string | null;
}
interface Data {
  path: string;
  kind?: string;
  hash: string;
  size?: number;
  files?: number;
}
interface Link {
  id: string;
  path: string;
  hash?: string;
}

const short = (s: string | null | undefined, n = 10) => (s ? s.slice(0, n) : '—');

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function LockView({ lock: raw }: { lock: Record<string, unknown> }) {
  // the server may send the stored record ({ lock: RunLock, … }) or the RunLock itself
  const lock = (raw.lock && typeof raw.lock === 'object' ? raw.lock : raw) as Record<string, unknown>;
  const repos = (Array.isArray(lock.repos) ? lock.repos : []) as Repo[];
  const data = (Array.isArray(lock.data) ? lock.data : []) as Data[];
  const prevs = (Array.isArray(lock.prevs) ? lock.prevs : []) as Link[];
  const env = (lock.env && typeof lock.env === 'object' ? lock.env : null) as Record<string, unknown> | null;
  if (!repos.length && !data.length && !env) return <KeyValueTable record={lock} />;
  return (
    <div className="lock" data-testid="run-lock">
      <p className="muted">
        lock <code>{short(String(lock.id ?? ''), 12)}</code>
        {lock.created ? ` · created ${String(lock.created)}` : ''}
        {lock.dir ? ` · dir ${String(lock.dir)}` : ''}
      </p>
      <h4>Code</h4>
      {repos.length === 0 ? (
        <p className="muted">no repository recorded</p>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th>repository</th>
              <th>commit</th>
              <th>branch</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {repos.map((r) => (
              <tr key={r.path}>
                <td>{r.path}</td>
                <td className="mono">{short(r.commit)}</td>
                <td>{r.branch ?? ''}</td>
                <td>
                  {r.dirty ? (
                    <span className="badge badge-failed">
                      dirty{r.captured ? ` (captured ${short(r.captured, 8)})` : ''}
                    </span>
                  ) : (
                    <span className="badge badge-done">clean</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>Data</h4>
      {data.length === 0 ? (
        <p className="muted">no data files hashed</p>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th>path</th>
              <th>hash</th>
              <th className="num">size</th>
              <th className="num">files</th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.path}>
                <td>{d.path}</td>
                <td className="mono">{d.hash}</td>
                <td className="num">{bytes(d.size)}</td>
                <td className="num">{d.files ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {prevs.length > 0 && (
        <>
          <h4>Previous stages</h4>
          <ul>
            {prevs.map((p) => (
              <li key={p.id}>
                <code>{short(p.id, 12)}</code> {p.path}
              </li>
            ))}
          </ul>
        </>
      )}
      {env && (
        <>
          <h4>Environment</h4>
          <KeyValueTable record={Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'packages'))} />
          {env.packages && typeof env.packages === 'object' ? (
            <details>
              <summary>{Object.keys(env.packages).length} packages</summary>
              <KeyValueTable record={env.packages as Record<string, unknown>} />
            </details>
          ) : null}
        </>
      )}
    </div>
  );
}
