import { DecisionTreeClassifier } from 'ml-cart';
import KNN from 'ml-knn';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { GaussianNB } from 'ml-naivebayes';
import { RandomForestClassifier } from 'ml-random-forest';

/** The hyperparameters of one run; unused ones are absent. */
export interface ModelParams {
  model: 'knn' | 'random_forest' | 'logistic_regression' | 'cart' | 'naive_bayes';
  k?: number;
  trees?: number;
  depth?: number;
  lr?: number;
}

/** A fitted classifier: predictions and a JSON model file. */
export interface Classifier {
  predict(X: number[][]): number[];
  toJSON(): Record<string, unknown>;
}

/** Fits the classifier the params describe. */
export function fit(params: ModelParams, X: number[][], y: number[], seed: number): Classifier {
  switch (params.model) {
    case 'knn':
      return new KNN(X, y, { k: params.k ?? 5 });
    case 'random_forest': {
      const rf = new RandomForestClassifier({
        nEstimators: params.trees ?? 50,
        seed,
        maxFeatures: 0.8,
        replacement: true,
        noOOB: true,
      });
      rf.train(X, y);
      return rf as unknown as Classifier;
    }
    case 'logistic_regression': {
      const lr = new LogisticRegression({ numSteps: 5000, learningRate: params.lr ?? 0.005 });
      lr.train(new Matrix(X), Matrix.columnVector(y));
      return { predict: (T) => lr.predict(new Matrix(T)), toJSON: () => lr.toJSON() };
    }
    case 'cart': {
      const tree = new DecisionTreeClassifier({ maxDepth: params.depth ?? 3 });
      tree.train(X, y);
      return tree;
    }
    case 'naive_bayes': {
      const nb = new GaussianNB();
      nb.train(X, y);
      return nb;
    }
    default:
      throw new Error(`unknown model "${String((params as { model: unknown }).model)}"`);
  }
}
