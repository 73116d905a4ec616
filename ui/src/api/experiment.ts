// An experiment with its columns and metric keys, as most pages need it.
import { api } from './client.ts';
import type { ExperimentDetail } from './types.ts';

export async function loadExperiment(name: string, signal?: AbortSignal): Promise<ExperimentDetail> {
  const [detail, keys] = await Promise.all([
    api.get<{ experiment: ExperimentDetail }>(api.experiment(name), {}, signal),
    // metric keys are a convenience: an older server without the endpoint still shows the table
    api.get<{ keys: string[] }>(`${api.experiment(name)}/metric-keys`, {}, signal).catch(() => ({ keys: [] })),
  ]);
  return { ...detail.experiment, metricKeys: detail.experiment.metricKeys ?? keys.keys };
}
