import { LockstepError } from '../errors.ts';
import { algorithm } from '../models/mljs.ts';
import { checkParams } from '../models/params.ts';
import { MlServable } from '../models/servable.ts';
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

/** A retrain request checked against the served version: everything the job needs, nothing left to fail on input. */
export interface RetrainPlan {
  dataset: string;
  /** The dataset version resolved now, so that the job trains on what was checked. */
  datasetVersion: string;
  algorithm: string;
  params: Record<string, unknown>;
  folds: number;
  force: boolean;
}

/** Accuracies closer than this are equal: cross-validated means differ in their last bits between runs. */
export const ACCURACY_TOLERANCE = 1e-9;

/**
 * Checks a retrain request before anything starts (the HTTP API answers 202
 * only after this): the served version must be a lockstep model with a
 * target column, the algorithm known, every parameter of the right kind,
 * the dataset and its version registered. Errors name the field.
 */
export async function planRetrain(session: Session, served: ServedModel, req: RetrainRequest): Promise<RetrainPlan> {
  const base = trainable(served);
  const file = base.loaded.file;
  if (!file.target)
    throw new LockstepError(
      'E_INPUT',
      `version ${base.version.version} records no target column, so it cannot be retrained`,
    );
  let algo: ReturnType<typeof algorithm>;
  try {
    algo = algorithm(req.algorithm ?? file.algorithm);
  } catch (e) {
    throw new LockstepError('E_INPUT', `algorithm: ${(e as Error).message}`, { details: { field: 'algorithm' } });
  }
  // the served version's own parameters are kept only when the algorithm stays the same
  const params =
    req.params !== undefined
      ? checkParams(algo.name, algo.params, req.params)
      : algo.name === file.algorithm
        ? file.params
        : {};
  const dataset = req.dataset ?? (await lineageDataset(session, base.version.runId));
  const info = await session.datasets.get(dataset, req.datasetVersion);
  return {
    dataset,
    datasetVersion: info.version,
    algorithm: algo.name,
    params,
    folds: req.folds ?? 5,
    force: req.force === true,
  };
}

/**
 * Trains a new version as a tracked run (experiment `retrain-<model>`),
 * registers it, and promotes it (moves the served alias and swaps the served
 * model) when its accuracy is not worse than the served version's (equal
 * within {@link ACCURACY_TOLERANCE} counts as not worse), or when forced.
 * Nothing is swapped until every step succeeded.
 */
export async function retrain(
  session: Session,
  served: ServedModel,
  plan: RetrainPlan,
): Promise<Record<string, unknown>> {
  const base = trainable(served);
  const file = base.loaded.file;
  const target = file.target as string;
  const { dataset, datasetVersion, algorithm, params, folds } = plan;
  const exp = await session.createExperiment(`retrain-${served.name}`, {
    ifExists: 'load',
    description: `retraining of model ${served.name} by lockstep serve`,
  });
  let cv = 0;
  let trained: ReturnType<typeof trainModel>['file'] | undefined;
  const run = await exp.run(
    {
      algorithm,
      dataset,
      dataset_version: datasetVersion,
      base_version: base.version.version,
      params: JSON.stringify(params),
    },
    async (r) => {
      const path = await r.useDataset(dataset, datasetVersion);
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
  const notWorse = current === undefined || cv >= current - ACCURACY_TOLERANCE;
  const promote = notWorse || plan.force;
  const version = await session.models.register(served.name, trained, {
    runId: run.id,
    experimentId: exp.id,
    metrics: { accuracy: cv },
    tags: { trigger: 'retrain', base_version: String(base.version.version), dataset: `${dataset}@${datasetVersion}` },
    description: `retrained from version ${base.version.version} on ${dataset}@${datasetVersion}`,
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
    dataset: `${dataset}@${datasetVersion}`,
    algorithm,
    newVersion: version.version,
    previousVersion: base.version.version,
    metric: 'accuracy',
    newValue: cv,
    previousValue: current ?? null,
    promoted: promote,
    forced: plan.force,
    movedAlias,
    serving: served.version,
  };
}

/**
 * The served model, when lockstep can train it: a lockstep (ml.js) model.
 * Any other (an ONNX file made by scikit-learn or PyTorch) is a 409 that
 * says what can be done instead.
 */
function trainable(served: ServedModel): MlServable {
  const model = served.model;
  if (model instanceof MlServable) return model;
  const v = model.version;
  throw new LockstepError(
    'E_CONFLICT',
    `models:/${v.model}/${v.version} is an ${model.format.toUpperCase()} model that lockstep did not train, so /retrain cannot make a new version of it. ` +
      `Train and export it where it was made (scikit-learn, PyTorch, …), register the new file with \`lockstep models register ${v.model} model.onnx\` and move the alias; ` +
      `POST /evaluate scores the served version on a registered dataset.`,
    { details: { name: v.model, version: v.version, format: model.format } },
  );
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
