// Which columns of an experiment the charts page offers.
import type { ExperimentDetail } from '../api/types.ts';

/**
 * What the charts can plot: params for x, and for y every scalar field and
 * the last value of every metric (an experiment logged through MLflow has
 * params and metrics and no fields at all).
 */
export function chartColumns(exp: ExperimentDetail) {
  const params = exp.columns.filter((c) => c.role === 'param').map((c) => ({ name: c.name, label: c.key }));
  const scalarFields = exp.columns
    .filter((c) => c.role === 'field' && !['json', 'encoded', 'binary'].includes(c.kind ?? ''))
    .map((c) => ({ name: c.name, label: c.key }));
  const lastMetrics = (exp.metricKeys ?? []).map((k) => ({ name: `metrics.${k}`, label: `${k} (last)` }));
  const measures = [...scalarFields, ...lastMetrics];
  const labels = new Map([...params, ...measures].map((c) => [c.name, c.label]));
  return { params, scalarFields, measures, labels };
}
