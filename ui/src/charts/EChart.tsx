// One ECharts instance bound to a div: created on mount, updated when the
// option changes, resized with its box and disposed on unmount.
import { useEffect, useRef } from 'react';
import { type EChartsOption, echarts } from './echarts.ts';

export function EChart({
  option,
  height = 320,
  className,
  label,
  onClick,
}: {
  option: EChartsOption;
  height?: number;
  className?: string;
  label?: string;
  onClick?: (params: { data?: unknown; name?: string }) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<typeof echarts.init> | null>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const c = echarts.init(el);
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  useEffect(() => {
    const c = chart.current;
    if (!c || !onClick) return;
    c.on('click', onClick as never);
    return () => {
      c.off('click');
    };
  }, [onClick]);

  return <div ref={ref} className={className ?? 'echart'} style={{ height }} role="img" aria-label={label} />;
}
