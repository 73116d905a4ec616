import { LockstepError } from '../errors.ts';
import { tableToXY, trainModel } from '../models/train.ts';
import type { Session } from '../session.ts';
import { datasetTable } from './data.ts';
import type { ServedModel } from './served.ts';

export interface RetrainRequest {
  /** A registered dataset; default: the dataset the served version's run used. */
  dataset?: string;
  datasetVersion?: string;
  /** Training parameters; default: those of the served version. */
  params?: Record<string, unknown>;
  /** Another algorithm; default: the served version's. */
  algorithm?: string;
  /** Promote the new version even when it does not beat the served one. */
  force?: boolean;
  /** Cross-validation folds for the new version's metric (default 5). */
  folds?: number;
}

/**
 * Trains a new version as a tracked run (experiment `retrain-<model>`),
 * registers it, and promotes it (moves the served alias and swaps the served
 * model) only when its accuracy beats the served version's, or when forced.
 * Nothing is swapped until every step succeeded.
 */
export async function retrain(
  session: Session,
  served: ServedModel,
  req: RetrainRequest,
): Promise<Record<string, unknown>> {
  const base = served.model;
  const file = base.file;
  const target = file.target;
  if (!target)
    throw new LockstepError(
      'E_INPUT',
      `version ${base.version.version} records no target column, so it cannot be retrained`,
    );
  const dataset = req.dataset ?? (await lineageDataset(session, base.version.runId));
  const algorithm = req.algorithm ?? file.algorithm;
  const params = req.params ?? file.params;
  const folds = req.folds ?? 5;
  const exp = await session.createExperiment(`retrain-${served.name}`, {
    ifExists: 'load',
    description: `retraining of model ${served.name} by lockstep serve`,
  });
  let cv = 0;
  let trained: ReturnType<typeof trainModel>['file'] | undefined;
  let usedVersion = '';
  const run = await exp.run(
    {
      algorithm,
      dataset,
      dataset_version: req.datasetVersion ?? null,
      base_version: base.version.version,
      params: JSON.stringify(params),
    },
    async (r) => {
      const info = await session.datasets.get(dataset, req.datasetVersion);
      usedVersion = info.version;
      const path = await r.useDataset(dataset, info.version);
      const data = tableToXY(await datasetTable(path, dataset), file.features, target, file.labels);
      const result = trainModel(algorithm, params, data, file.features, target, folds, file.scaler !== null);
      cv = result.cvAccuracy;
      trained = result.file;
      r.fields.accuracy = cv;
      r.fields.rows = data.X.length;
      await r.logArtifact('model.json', Buffer.from(JSON.stringify(result.file)));
    },
  );
  if (!trained) throw new LockstepError('E_RUN', 'the retrain run produced no model');
  const current = base.version.metrics.accuracy;
  const beats = current === undefined || cv > current;
  const promote = beats || req.force === true;
  const version = await session.models.register(served.name, trained, {
    runId: run.id,
    experimentId: exp.id,
    metrics: { accuracy: cv },
    tags: { trigger: 'retrain', base_version: String(base.version.version), dataset: `${dataset}@${usedVersion}` },
    description: `retrained from version ${base.version.version} on ${dataset}@${usedVersion}`,
  });
  let movedAlias: string | null = null;
  if (promote && served.ref.alias) {
    await session.models.setAlias(served.name, served.ref.alias, version.version);
    movedAlias = served.ref.alias;
  }
  // a pinned URI (models:/iris/3) keeps serving its version; an alias or "latest" follows the promotion
  const swapped = promote && served.ref.version === undefined;
  if (swapped) await served.use(version.version);
  return {
    runId: run.id,
    experiment: exp.name,
    dataset: `${dataset}@${usedVersion}`,
    newVersion: version.version,
    previousVersion: base.version.version,
    metric: 'accuracy',
    newValue: cv,
    previousValue: current ?? null,
    promoted: promote,
    forced: promote && !beats,
    movedAlias,
    serving: served.version,
  };
}

async function lineageDataset(session: Session, runId: string | null): Promise<string> {
  const used = runId ? await session.datasets.usedBy(runId) : [];
  const first = used[0];
  if (!first) {
    throw new LockstepError(
      'E_INPUT',
      'the served version records no dataset; pass { "dataset": NAME } to train on a registered dataset',
    );
  }
  return first.name;
}
