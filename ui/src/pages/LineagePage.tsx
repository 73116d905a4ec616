// The lineage graph of run locks: each node is a recorded run.lock (or the
// locks of a sweep drawn as one), an arrow goes from a previous stage to the
// run that consumed it (dashed: the sweep a run belongs to). Read from
// GET /api/v1/locks, which answers an empty list before anything was locked.
import { useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import type { LocksResponse } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { EChart } from '../charts/EChart.tsx';
import { type LockNode, lineageHeight, lineageNodes, lineageOption, lineageWidth } from '../charts/lineage.ts';
import { LockView } from '../components/LockView.tsx';
import { ErrorBox, Loading } from '../components/Status.tsx';

async function loadLocks(signal: AbortSignal): Promise<{ nodes: LockNode[]; truncated: boolean }> {
  const res = await api.get<LocksResponse>('/api/v1/locks', { limit: 2000 }, signal);
  return {
    truncated: res.truncated,
    nodes: res.locks.map((l) => ({
      id: l.id,
      runDir: l.runDir,
      name: l.name,
      parentId: l.parentId,
      active: l.active,
      prevs: l.prevs,
      content: (l.lock ?? {}) as Record<string, unknown>,
    })),
  };
}

const NONE: LockNode[] = [];

/** The previous stages of a lock by name, a sweep's many tasks as one: "prepare, train × 20". */
function prevNames(n: LockNode, byId: Map<string, LockNode>): string {
  const counts = new Map<string, number>();
  for (const p of n.prevs) {
    const m = byId.get(p);
    const name = m?.name ?? m?.runDir ?? p.slice(0, 8);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, k]) => (k > 1 ? `${name} × ${k}` : name)).join(', ');
}

export function LineagePage() {
  const res = useApi(loadLocks, []);
  const [picked, setPicked] = useState<string[]>([]);
  const nodes = res.data?.nodes ?? NONE;
  const option = useMemo(() => lineageOption(nodes), [nodes]);
  const height = useMemo(() => lineageHeight(lineageNodes(nodes)), [nodes]);
  const width = useMemo(() => lineageWidth(nodes), [nodes]);
  const node = nodes.find((n) => n.id === picked[0]);
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);
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
        <p className="muted" data-testid="no-locks">
          No run locks recorded yet: a run records one with <code>lock()</code> or <code>lockstep run</code>.
        </p>
      )}
      {res.data?.truncated && <p className="muted">Showing the newest {nodes.length.toLocaleString()} locks.</p>}
      {nodes.length > 0 && (
        <div className="card lineage-card">
          <div style={{ minWidth: width }}>
            <EChart
              option={option}
              height={height}
              label="lineage graph"
              onClick={(p) => setPicked((p.data as { lockIds?: string[] })?.lockIds ?? [])}
            />
          </div>
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
              <tr key={n.id} className={picked.includes(n.id) ? 'picked' : undefined}>
                <td>
                  <button type="button" className="link-button" onClick={() => setPicked([n.id])}>
                    {n.name ?? n.runDir}
                  </button>
                </td>
                <td className="mono">{n.id.slice(0, 8)}</td>
                <td>{n.runDir}</td>
                <td>{prevNames(n, byId)}</td>
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
