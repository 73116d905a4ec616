// The SQL console over the server's read-only endpoint: a result grid and a
// CSV download. The query lives in the URL (`?q=`) so it can be shared.
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { SqlResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { toCsv } from '../csv.ts';
import { download } from '../download.ts';
import { formatCell } from '../format.ts';
import { useQueryState } from '../router.tsx';

const MAX_ROWS = 1000;

export function SqlPage() {
  const [query, setQuery] = useQueryState();
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q || 'SELECT name, description FROM experiments');
  useEffect(() => {
    if (q) setText(q);
  }, [q]);
  const res = useApi(
    (signal) =>
      q ? api.post<SqlResponse>('/api/v1/sql', { sql: q, maxRows: MAX_ROWS }, signal) : Promise.resolve(null),
    [q],
  );
  const run = () => {
    // the same query again re-runs it (the data may have changed)
    if (text.trim() === q) res.reload();
    else setQuery({ q: text.trim() });
  };
  return (
    <section className="sql-page">
      <h1>SQL console</h1>
      <p className="muted">
        Read-only queries over the tracking database: <code>experiments</code>, <code>experiment_&lt;name&gt;</code>{' '}
        (one row per run), <code>metrics</code>. Ctrl+Enter runs.
      </p>
      <TableHints onPick={(t) => setText(`SELECT * FROM ${quoteTable(t)} LIMIT 100`)} />
      <textarea
        className="sql-input"
        aria-label="SQL query"
        spellCheck={false}
        value={text}
        rows={5}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            run();
          }
        }}
      />
      <div className="toolbar">
        <button type="button" onClick={run}>
          Run query
        </button>
        {res.data && (
          <button
            type="button"
            className="secondary"
            onClick={() => res.data && download('lockstep-query.csv', toCsv(res.data.columns, res.data.rows))}
          >
            Download CSV
          </button>
        )}
        {res.data && (
          <span className="muted" data-testid="sql-summary">
            {res.data.rows.length.toLocaleString()} row{res.data.rows.length === 1 ? '' : 's'}
            {res.data.truncated && ` (truncated at ${MAX_ROWS})`} in {res.data.elapsedMs.toFixed(1)} ms
          </span>
        )}
      </div>
      {res.state === 'loading' && q && <Loading what="Running query" />}
      {res.state === 'error' && <ErrorBox error={res.error} />}
      {res.data && res.state !== 'error' && <ResultGrid result={res.data} />}
    </section>
  );
}

/** Quotes a table name that is not a plain identifier (experiment names may hold '-'). */
function quoteTable(t: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(t) ? t : `"${t.replaceAll('"', '""')}"`;
}

function TableHints({ onPick }: { onPick(table: string): void }) {
  // table names are sanitised experiment names: ask the database, not the names
  const res = useApi(
    (signal) =>
      api.post<SqlResponse>(
        '/api/v1/sql',
        { sql: 'SELECT table_name FROM experiments ORDER BY name', maxRows: 200 },
        signal,
      ),
    [],
  );
  const names = res.data?.rows.map((r) => String(r[0])) ?? [];
  return (
    <div className="table-hints">
      {['experiments', 'metrics', ...names].map((t) => (
        <button key={t} type="button" className="chip" onClick={() => onPick(t)}>
          {t}
        </button>
      ))}
    </div>
  );
}

function ResultGrid({ result }: { result: SqlResponse }) {
  return (
    <div className="sql-result">
      <table className="grid" data-testid="sql-result">
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: result rows have no key of their own
            <tr key={i}>
              {r.map((v, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                <td key={j} className={typeof v === 'number' ? 'num' : undefined}>
                  {formatCell(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
