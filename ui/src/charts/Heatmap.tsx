// A matrix as a heatmap (the iris confusion matrix): rows are the first index.
import { useMemo } from 'react';
import { formatNumber } from '../format.ts';
import { EChart } from './EChart.tsx';
import { escapeHtml } from './html.ts';

export function Heatmap({ matrix, label, axisLabels }: { matrix: number[][]; label: string; axisLabels?: string[] }) {
  const option = useMemo(() => {
    const rows = matrix.length;
    const cols = matrix[0]?.length ?? 0;
    const data: [number, number, number][] = [];
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = matrix[i]![j]!;
        data.push([j, i, v]);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    const idx = (n: number) => Array.from({ length: n }, (_, i) => axisLabels?.[i] ?? String(i));
    return {
      animation: false,
      tooltip: {
        formatter: (p: { value: number[] }) =>
          `[${escapeHtml(p.value[1])}][${escapeHtml(p.value[0])}] = ${escapeHtml(formatNumber(p.value[2]!))}`,
      },
      grid: { left: axisLabels ? 90 : 44, right: 16, top: 10, bottom: 70 },
      xAxis: { type: 'category', data: idx(cols), name: 'column', nameLocation: 'middle', nameGap: 22 },
      yAxis: {
        type: 'category',
        data: idx(rows),
        inverse: true,
        name: 'row',
        nameLocation: 'middle',
        nameGap: axisLabels ? 76 : 28,
      },
      visualMap: {
        min,
        max: max === min ? min + 1 : max,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 80,
        calculable: false,
        inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] },
      },
      series: [
        {
          type: 'heatmap',
          data,
          label: { show: rows * cols <= 100, formatter: (p: { value: number[] }) => formatNumber(p.value[2]!) },
        },
      ],
    };
  }, [matrix, axisLabels]);
  const size = Math.min(360, 100 + 40 * matrix.length);
  return (
    <div style={{ width: Math.max(240, size + (axisLabels ? 60 : 0)) }}>
      <EChart option={option} height={size + 40} label={label} />
    </div>
  );
}
