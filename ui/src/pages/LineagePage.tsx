// The lineage graph of run locks: each node is a recorded run.lock, an arrow
// goes from a previous stage to the run that consumed it (dashed: the sweep a
// run belongs to). Read through the read-only SQL endpoint.
import { useMemo, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { SqlResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { EChart } from '../charts/EChart.tsx';
import { type LockNode, lineageOption } from '../charts/lineage.ts';
import { LockView } from '../components/LockView.tsx';
import { ErrorBox, Loading } from '../components/Status.tsx';

const SQL = 'SELECT id, run_dir, name, parent_id, active, content FROM locks ORDER BY created_at LIMIT 2000';

function toNodes(res: SqlResponse): LockNode[] {
  const at = (name: string) => res.columns.indexOf(name);
  return res.rows.map((r) => {
    const raw = r[at('content')];
    const content = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as Record<string, unknown>;
    const prevs = Array.isArray(content.prevs) ? (content.prevs as { id: string }[]).map((p) => p.id) : [];
    const active = r[at('active')];
    return {
      id: String(r[at('id')]),
      runDir: String(r[at('run_dir')]),
      name: (r[at('name')] as string | null) ?? null,
      parentId: (r[at('parent_id')] as string | null) ?? null,
      active: active === true || active === 1 || active === '1',
      prevs,
      content,
    };
  });
}

async function loadLocks(signal: AbortSignal): Promise<LockNode[]> {
  try {
    return toNodes(await api.post<SqlResponse>('/api/v1/sql', { sql: SQL, maxRows: 2000 }, signal));
  } catch (e) {
    // no locks table yet: nothing has been locked, which is not an error
    if (e instanceof ApiError && e.status === 400 && /locks/.test(e.message)) return [];
    throw e;
  }
}

export function LineagePage() {
  const res = useApi(loadLocks, []);
  const [picked, setPicked] = useState<string>();
  const nodes = res.data ?? [];
  const option = useMemo(() => lineageOption(nodes), [nodes]);
  const node = nodes.find((n) => n.id === picked);
  return (
    <section className="lineage-page">
      <h1>Lineage</h1>
      <p className="muted">
        Run locks and the previous stages they consumed. Grey: superseded by a newer run of the same directory. Click a
        node for its lock.
      </p>
      {res.state === 'loading' && <Loading what="Loading run locks" />}
      {res.state === 'error' && <ErrorBox error={res.error} retry={res.reload} />}
      {res.data && nodes.length === 0 && (
        <p className="muted">No run locks recorded yet: runs record one with `lock()` or `lockstep run`.</p>
      )}
      {nodes.length > 0 && (
        <div className="card">
          <EChart
            option={option}
            height={Math.min(700, 160 + 40 * nodes.length)}
            label="lineage graph"
            onClick={(p) => setPicked((p.data as { id?: string })?.id)}
          />
        </div>
      )}
      {nodes.length > 0 && (
        <table className="grid compact" data-testid="locks">
          <thead>
            <tr>
              <th>name</th>
              <th>lock</th>
              <th>directory</th>
              <th>previous stages</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id} className={n.id === picked ? 'picked' : undefined}>
                <td>
                  <button type="button" className="link-button" onClick={() => setPicked(n.id)}>
                    {n.name ?? n.runDir}
                  </button>
                </td>
                <td className="mono">{n.id.slice(0, 8)}</td>
                <td>{n.runDir}</td>
                <td>
                  {n.prevs
                    .map((p) => nodes.find((m) => m.id === p))
                    .map((m, i) => m?.name ?? m?.runDir ?? n.prevs[i]!.slice(0, 8))
                    .join(', ')}
                </td>
                <td>{n.active ? 'active' : 'superseded'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {node && (
        <div className="card lock-detail" data-testid="lock-detail">
          <h2>
            {node.name ?? node.runDir} <code>{node.id}</code>
          </h2>
          <LockView lock={node.content} />
        </div>
      )}
    </section>
  );
}
