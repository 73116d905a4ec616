// ECharts options for the experiment charts, built from rows of the runs API.
import type { RunRow } from '../api/types.ts';
import { formatNumber } from '../format.ts';
import type { EChartsOption } from './echarts.ts';
import { escapeHtml } from './html.ts';

const num = (v: unknown) =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : null;

/** Category axes for strings, value axes for numbers. */
function axisFor(rows: RunRow[], col: string): { type: 'value' } | { type: 'category'; data: string[] } {
  const values = rows.map((r) => r[col]).filter((v) => v !== null && v !== undefined);
  if (values.length > 0 && values.every((v) => num(v) !== null)) return { type: 'value' };
  return { type: 'category', data: [...new Set(values.map(String))].sort() };
}

function coord(axis: ReturnType<typeof axisFor>, v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  return axis.type === 'value' ? num(v) : String(v);
}

export function scatterOption(rows: RunRow[], x: string, y: string, xLabel: string, yLabel: string): EChartsOption {
  const xa = axisFor(rows, x);
  const ya = axisFor(rows, y);
  const data = rows
    .map((r) => ({ value: [coord(xa, r[x]), coord(ya, r[y])], runId: r.run_id }))
    .filter((d) => d.value[0] !== null && d.value[1] !== null);
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (p: { data: { runId: string; value: unknown[] } }) =>
        `${escapeHtml(p.data.runId.slice(0, 8))}<br/>${escapeHtml(xLabel)}: ${escapeHtml(p.data.value[0])}<br/>` +
        `${escapeHtml(yLabel)}: ${escapeHtml(p.data.value[1])}`,
    },
    grid: { left: 60, right: 20, top: 20, bottom: 50 },
    xAxis: { ...xa, name: xLabel, nameLocation: 'middle', nameGap: 30, scale: true },
    yAxis: { ...ya, name: yLabel, nameLocation: 'middle', nameGap: 45, scale: true },
    series: [
      {
        type: 'scatter',
        symbolSize: 8,
        data,
        large: data.length > 2000,
        itemStyle: { color: '#2563eb', opacity: 0.7 },
      },
    ],
  };
}

/** Room per axis of parallel coordinates: the chart is at least this wide per axis, and labels stay inside it. */
export const AXIS_PX = 150;

export function parallelOption(
  rows: RunRow[],
  dims: { name: string; label: string }[],
  colorBy: string,
): EChartsOption {
  const axes = dims.map((d) => axisFor(rows, d.name));
  const data = rows.map((r) => dims.map((d, i) => coord(axes[i]!, r[d.name])));
  const colorIdx = dims.findIndex((d) => d.name === colorBy);
  const colorVals = rows.map((r) => num(r[colorBy])).filter((v): v is number => v !== null);
  // labels sit right of their axis: narrower than the gap to the next one, never over it
  const labelWidth = AXIS_PX - 40;
  return {
    animation: false,
    parallelAxis: dims.map((d, i) => ({
      dim: i,
      name: d.label,
      ...axes[i],
      scale: true,
      nameTextStyle: { width: labelWidth, overflow: 'truncate' },
      axisLabel: {
        width: labelWidth,
        overflow: 'truncate',
        hideOverlap: true,
        formatter: (v: number | string) => (typeof v === 'number' ? formatNumber(v) : v),
      },
    })),
    parallel: { left: 40, right: labelWidth, top: 40, bottom: colorIdx >= 0 ? 70 : 30 },
    visualMap:
      colorIdx >= 0 && colorVals.length
        ? {
            dimension: colorIdx,
            min: Math.min(...colorVals),
            max: Math.max(...colorVals),
            calculable: true,
            orient: 'horizontal',
            left: 'center',
            bottom: 0,
            itemHeight: 160,
            // the ends as the data has them (the default rounds 0.86 and 0.98 both to 1)
            formatter: (v: number) => formatNumber(v),
            inRange: { color: ['#dc2626', '#facc15', '#16a34a'] },
          }
        : undefined,
    series: [{ type: 'parallel', lineStyle: { width: 1, opacity: 0.6 }, data, progressive: 2000 }],
  };
}
