import { createRequire } from 'node:module';
import { LockstepError } from '../errors.ts';
import { compileForest } from './forest.ts';
import type { ParamSpec } from './params.ts';

/**
 * The ml.js classifiers lockstep can train, save and serve. They are
 * CommonJS packages without usable types, so they are loaded with `require`
 * behind these small structural types instead of ambient module shims (which
 * would clash with a user's or an example's own shims).
 */
const require = createRequire(import.meta.url);

type Rows = number[][];
interface MatrixLike {
  rows: number;
  columns: number;
  getRow(i: number): number[];
}
interface MatrixCtor {
  new (rows: Rows): MatrixLike;
  columnVector(values: number[]): MatrixLike;
}
interface Trained {
  toJSON(): unknown;
}

/** Class indices for rows of features, and per-class probabilities when the algorithm has them. */
export interface Answers {
  index: number[];
  /** One row per input, one column per class (index order). */
  probabilities?: number[][];
}

/**
 * A loaded model. Label and probabilities come from one pass (one forest
 * evaluation, one neighbour search), and the label is always the most
 * probable class, so the two never disagree.
 */
export interface Predictor {
  predict(X: Rows, classes: number): Answers;
}

/** The most probable class; the lowest index wins a tie. */
function argmax(row: number[]): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if ((row[c] as number) > (row[best] as number)) best = c;
  return best;
}

function fromProbabilities(probabilities: number[][]): Answers {
  return { index: probabilities.map(argmax), probabilities };
}

export interface Algorithm {
  readonly name: string;
  readonly description: string;
  /** The training parameters it takes (checked before a retrain starts; see params.ts). */
  readonly params: ParamSpec;
  train(X: Rows, y: number[], params: Record<string, unknown>): Trained;
  load(json: unknown): Predictor;
}

const ml = {
  matrix: () => require('ml-matrix').Matrix as MatrixCtor,
  // biome-ignore lint/suspicious/noExplicitAny: untyped CommonJS classes, wrapped below
  rf: () => require('ml-random-forest').RandomForestClassifier as any,
  // biome-ignore lint/suspicious/noExplicitAny: idem
  knn: () => require('ml-knn') as any,
  // biome-ignore lint/suspicious/noExplicitAny: idem
  logreg: () => require('ml-logistic-regression') as any,
  // biome-ignore lint/suspicious/noExplicitAny: idem
  cart: () => require('ml-cart').DecisionTreeClassifier as any,
  // biome-ignore lint/suspicious/noExplicitAny: idem
  nb: () => require('ml-naivebayes').GaussianNB as any,
};

function votes(labels: ArrayLike<number>, classes: number): number[] {
  const out = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (c >= 0 && c < classes) out[c] = (out[c] as number) + 1;
  }
  // count first, divide once: a unanimous vote is exactly 1, not 0.9999999999999999
  return out.map((n) => n / labels.length);
}

const randomForest: Algorithm = {
  name: 'random-forest',
  description: 'ml-random-forest RandomForestClassifier',
  params: {
    nEstimators: 'positive integer',
    maxFeatures: 'fraction or count',
    replacement: 'boolean',
    seed: 'integer',
    noOOB: 'boolean',
    useSampleBagging: 'boolean',
  },
  train(X, y, params) {
    const model = new (ml.rf())({ nEstimators: 50, seed: 42, noOOB: true, ...params });
    model.train(X, y);
    return model;
  },
  load(json) {
    const votesOf = compileForest(ml.rf().load(json));
    return { predict: (X, classes) => fromProbabilities(votesOf(X, classes)) };
  },
};

const knn: Algorithm = {
  name: 'knn',
  description: 'ml-knn KNN (euclidean)',
  params: { k: 'positive integer' },
  train(X, y, params) {
    return new (ml.knn())(X, y, params);
  },
  load(json) {
    const model = ml.knn().load(json);
    return {
      predict: (X, classes) =>
        fromProbabilities(
          X.map((x) => {
            const near = model.kdTree.nearest(x, model.k) as [number[], number][];
            return votes(
              near.map(([p]) => p[p.length - 1] as number),
              classes,
            );
          }),
        ),
    };
  },
};

const logisticRegression: Algorithm = {
  name: 'logistic-regression',
  description: 'ml-logistic-regression (one-vs-rest)',
  params: { numSteps: 'positive integer', learningRate: 'positive number' },
  train(X, y, params) {
    const M = ml.matrix();
    const model = new (ml.logreg())({ numSteps: 1000, learningRate: 5e-3, ...params });
    model.train(new M(X), M.columnVector(y));
    return model;
  },
  load(json) {
    const model = ml.logreg().load(json);
    const M = ml.matrix();
    return {
      predict: (X, classes) => {
        const m = new M(X);
        // each one-vs-rest classifier scores "not this class"; normalise the complements
        const scores = (model.classifiers as { testScores(m: MatrixLike): number[] }[]).map((c) => c.testScores(m));
        return fromProbabilities(
          X.map((_, i) => {
            const raw = Array.from({ length: classes }, (_, c) => 1 - (scores[c]?.[i] ?? 1));
            const sum = raw.reduce((a, b) => a + b, 0) || 1;
            return raw.map((v) => v / sum);
          }),
        );
      },
    };
  },
};

const cart: Algorithm = {
  name: 'cart',
  description: 'ml-cart DecisionTreeClassifier',
  params: { maxDepth: 'positive integer', minNumSamples: 'positive integer', gainFunction: ['gini', 'regression'] },
  train(X, y, params) {
    const model = new (ml.cart())(params);
    model.train(X, y);
    return model;
  },
  load(json) {
    const model = ml.cart().load(json);
    return {
      predict: (X, classes) =>
        fromProbabilities(
          X.map((x) => {
            const dist = (model.root.classify(x) as MatrixLike).getRow(0);
            const sum = dist.reduce((a, b) => a + b, 0) || 1;
            return Array.from({ length: classes }, (_, c) => (dist[c] ?? 0) / sum);
          }),
        ),
    };
  },
};

const naiveBayes: Algorithm = {
  name: 'naive-bayes',
  description: 'ml-naivebayes GaussianNB',
  params: {},
  train(X, y) {
    const model = new (ml.nb())();
    model.train(X, y);
    return model;
  },
  load(json) {
    const model = ml.nb().load(json);
    return { predict: (X) => ({ index: model.predict(X) }) };
  },
};

export const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  [randomForest.name]: randomForest,
  [knn.name]: knn,
  [logisticRegression.name]: logisticRegression,
  [cart.name]: cart,
  [naiveBayes.name]: naiveBayes,
};

/**
 * The algorithm of a name. The registry writes `random-forest`; the demo's
 * `random_forest` (snake case, as in its SQL columns) names the same one.
 */
export function algorithm(name: string): Algorithm {
  const a = typeof name === 'string' ? ALGORITHMS[name.replaceAll('_', '-')] : undefined;
  if (!a) {
    throw new LockstepError(
      'E_INPUT',
      `unknown algorithm "${name}"; expected one of ${Object.keys(ALGORITHMS).join(', ')}`,
      { details: { algorithm: name } },
    );
  }
  return a;
}
