// Lays out run locks as a left-to-right graph: a lock sits one column right
// of the deepest previous stage it consumed.
import type { EChartsOption } from './echarts.ts';
import { escapeHtml } from './html.ts';

export interface LockNode {
  id: string;
  name: string | null;
  runDir: string;
  active: boolean;
  parentId: string | null;
  prevs: string[];
  content: Record<string, unknown>;
}

export function lineageOption(nodes: LockNode[]): EChartsOption {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle would be a broken lock; draw it flat instead of looping
    seen.add(id);
    const n = byId.get(id);
    const d = n ? Math.max(-1, ...n.prevs.filter((p) => byId.has(p)).map((p) => depthOf(p, seen))) + 1 : 0;
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const data = nodes.map((n) => {
    const d = depthOf(n.id, new Set());
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    return {
      id: n.id,
      name: n.name ?? n.runDir,
      x: d * 220,
      y: row * 70,
      symbolSize: 18,
      itemStyle: { color: n.active ? '#2563eb' : '#9ca3af' },
      label: {
        show: true,
        position: 'bottom',
        distance: 6,
        lineHeight: 15,
        // a function, not a template string: ECharts would read `{…}` in a name as a placeholder
        formatter: () => `${n.name ?? n.runDir}\n${n.id.slice(0, 8)}`,
      },
    };
  });
  const links = nodes.flatMap((n) => [
    ...n.prevs.filter((p) => byId.has(p)).map((p) => ({ source: p, target: n.id, lineStyle: { width: 2 } })),
    ...(n.parentId && byId.has(n.parentId)
      ? [{ source: n.parentId, target: n.id, lineStyle: { type: 'dashed', width: 1 } }]
      : []),
  ]);
  return {
    animation: false,
    tooltip: {
      formatter: (p: { data: { id?: string; name?: string } }) =>
        p.data.id ? `${escapeHtml(p.data.name)}<br/>${escapeHtml(p.data.id)}` : 'consumed by',
    },
    series: [
      {
        type: 'graph',
        layout: 'none',
        roam: true,
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 8,
        data,
        links,
        lineStyle: { color: '#64748b', curveness: 0.1 },
      },
    ],
  };
}
