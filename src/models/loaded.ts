import { LockstepError } from '../errors.ts';
import { applyScaler, type ModelFile } from './format.ts';
import { featureVector, type InputIssue, issueError } from './instance.ts';
import { algorithm, type Predictor } from './mljs.ts';

export { type InputIssue, issueError, issueMessage } from './instance.ts';

/** One answer of a model. */
export interface Prediction {
  label: string;
  /** Class index (position in the model's labels). */
  index: number;
  /** Label to probability, when the algorithm gives probabilities. */
  probabilities?: Record<string, number>;
}

/**
 * A model file loaded for prediction: checks instances against the input
 * schema (every feature a finite number) and turns class indices into labels.
 *
 * @example
 * ```ts
 * const model = await session.models.load('models:/iris@champion');
 * model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
 * ```
 */
export class LoadedModel {
  private readonly predictor: Predictor;

  constructor(readonly file: ModelFile) {
    try {
      // a copy: some ml.js loaders rebuild in place (ml-knn adds parent links to the tree), which would leave the file unserialisable
      this.predictor = algorithm(file.algorithm).load(structuredClone(file.model));
    } catch (e) {
      if (e instanceof LockstepError) throw e;
      throw new LockstepError('E_CODEC', `the ${file.algorithm} model cannot be loaded: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  get features(): string[] {
    return this.file.features;
  }
  get labels(): string[] {
    return this.file.labels;
  }

  /**
   * The feature vector of an instance, or the first problem with it. An
   * instance is an object keyed by feature name, or an array in feature order.
   */
  vector(instance: unknown, at: string): number[] | InputIssue {
    return featureVector(this.file.features, instance, at);
  }

  /** Predicts feature vectors (already checked). */
  predictVectors(X: number[][], withProbabilities = true): Prediction[] {
    if (X.length === 0) return [];
    const labels = this.file.labels;
    const input = this.file.scaler ? applyScaler(this.file.scaler, X) : X;
    const { index: idx, probabilities } = this.predictor.predict(input, labels.length);
    const probs = withProbabilities ? probabilities : undefined;
    return idx.map((index, i) => {
      const p: Prediction = { label: labels[index] ?? String(index), index };
      const row = probs?.[i];
      if (row) {
        const named: Record<string, number> = {};
        labels.forEach((l, c) => {
          named[l] = row[c] ?? 0;
        });
        p.probabilities = named;
      }
      return p;
    });
  }

  /** Checks and predicts instances; throws E_INPUT naming the first bad field. */
  predict(instances: readonly unknown[]): Prediction[] {
    const X = instances.map((inst, i) => {
      const v = this.vector(inst, instances.length === 1 ? '' : `[${i}]`);
      if (!Array.isArray(v)) throw issueError(v);
      return v;
    });
    return this.predictVectors(X);
  }
}
