// Lays out run locks as a left-to-right graph: a lock sits one column right
// of the deepest previous stage it consumed. The tasks of a sweep (many locks
// of one name consuming the same stages) become one node, "train × 20", so a
// sweep is not a stack of labels on top of each other, and the chart is as
// tall as its fullest column needs: every label has a row of its own.
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

/** A node of the drawing: one lock, or the locks of a sweep drawn as one. */
export interface DrawnNode {
  id: string;
  label: string;
  members: LockNode[];
  column: number;
  row: number;
  active: boolean;
}

/** Siblings beyond this many are drawn as one node. */
export const GROUP_FROM = 5;
/** Vertical room per node: the symbol and one line of label below it. */
export const ROW_PX = 56;
export const COLUMN_PX = 230;
const MARGIN = 40;

function depths(nodes: LockNode[]): Map<string, number> {
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
  for (const n of nodes) depthOf(n.id, new Set());
  return depth;
}

/** The nodes to draw, in columns by depth and rows in the order the locks came. */
export function lineageNodes(nodes: LockNode[]): DrawnNode[] {
  const depth = depths(nodes);
  const known = new Set(nodes.map((n) => n.id));
  // siblings: one column, one name, the same previous stages and sweep
  const groups = new Map<string, LockNode[]>();
  for (const n of nodes) {
    const prevs = n.prevs.filter((p) => known.has(p)).sort();
    const key = [depth.get(n.id), n.name ?? n.runDir, n.parentId ?? '', ...prevs].join('\u0000');
    const g = groups.get(key);
    if (g) g.push(n);
    else groups.set(key, [n]);
  }
  const out: DrawnNode[] = [];
  const rows = new Map<number, number>();
  const place = (members: LockNode[], label: string, id: string) => {
    const column = depth.get(members[0]!.id) ?? 0;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    out.push({ id, label, members, column, row, active: members.some((m) => m.active) });
  };
  for (const members of groups.values()) {
    const name = members[0]!.name ?? members[0]!.runDir;
    if (members.length >= GROUP_FROM) place(members, `${name} × ${members.length}`, `group:${members[0]!.id}`);
    else for (const m of members) place([m], m.name ?? m.runDir, m.id);
  }
  return out;
}

/** The chart's height for these nodes: a row for every node of the fullest column. */
export function lineageHeight(drawn: DrawnNode[]): number {
  const rows = Math.max(1, ...drawn.map((d) => d.row + 1));
  return rows * ROW_PX + 2 * MARGIN;
}

export function lineageOption(nodes: LockNode[]): EChartsOption {
  const drawn = lineageNodes(nodes);
  const nodeOf = new Map<string, DrawnNode>();
  for (const d of drawn) for (const m of d.members) nodeOf.set(m.id, d);
  const columns = Math.max(1, ...drawn.map((d) => d.column + 1));
  const rows = Math.max(1, ...drawn.map((d) => d.row + 1));
  const data = drawn.map((d) => ({
    id: d.id,
    name: d.label,
    // one lock: its id for the page; a sweep: its locks' ids
    lockIds: d.members.map((m) => m.id),
    value: [d.column, d.row],
    symbolSize: d.members.length > 1 ? 24 : 16,
    itemStyle: { color: d.active ? '#2563eb' : '#9ca3af' },
    label: {
      show: true,
      position: 'bottom',
      distance: 4,
      width: COLUMN_PX - 30,
      overflow: 'truncate',
      // a function, not a template string: ECharts would read `{…}` in a name as a placeholder
      formatter: () => d.label,
    },
  }));
  const seen = new Set<string>();
  const links: { source: string; target: string; lineStyle: Record<string, unknown> }[] = [];
  const link = (from: DrawnNode | undefined, to: DrawnNode, dashed: boolean) => {
    const key = `${from?.id}>${to.id}`;
    if (!from || from === to || seen.has(key)) return;
    seen.add(key);
    links.push({ source: from.id, target: to.id, lineStyle: dashed ? { type: 'dashed', width: 1 } : { width: 2 } });
  };
  for (const n of nodes) {
    const to = nodeOf.get(n.id) as DrawnNode;
    for (const p of n.prevs) link(nodeOf.get(p), to, false);
    if (n.parentId) link(nodeOf.get(n.parentId), to, true);
  }
  return {
    animation: false,
    tooltip: {
      formatter: (p: { dataType?: string; data: { name?: string; lockIds?: string[] } }) =>
        p.dataType === 'node' && p.data.lockIds
          ? `${escapeHtml(p.data.name)}<br/>${p.data.lockIds
              .slice(0, 8)
              .map((id) => escapeHtml(id.slice(0, 8)))
              .join(', ')}${p.data.lockIds.length > 8 ? ', …' : ''}`
          : 'consumed by',
    },
    // a grid with hidden axes places nodes by column and row: no fitting that squeezes rows together
    grid: { left: MARGIN + 40, right: MARGIN + 40, top: MARGIN - 10, bottom: MARGIN + 10 },
    xAxis: { type: 'value', show: false, min: -0.1, max: columns - 0.9 },
    yAxis: { type: 'value', show: false, inverse: true, min: -0.4, max: rows - 0.6 },
    series: [
      {
        type: 'graph',
        coordinateSystem: 'cartesian2d',
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 8,
        data,
        links,
        lineStyle: { color: '#64748b', curveness: 0 },
      },
    ],
  };
}

/** How wide the chart must be for its columns to keep their labels apart. */
export function lineageWidth(nodes: LockNode[]): number {
  const columns = Math.max(1, ...lineageNodes(nodes).map((d) => d.column + 1));
  return columns * COLUMN_PX + 2 * MARGIN;
}
