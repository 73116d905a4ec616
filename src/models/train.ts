import type { Table } from '../artifacts/tabular.ts';
import { LockstepError } from '../errors.ts';
import { applyScaler, createModelFile, fitScaler, type ModelFile } from './format.ts';
import { LoadedModel } from './loaded.ts';
import { algorithm } from './mljs.ts';

/** Features and class indices from a table, with the labels in index order. */
export interface XY {
  X: number[][];
  y: number[];
  labels: string[];
}

/**
 * Turns a table into training data. Labels keep the order given (a model's
 * labels, so indices match) and new ones are appended in sorted order.
 */
export function tableToXY(table: Table, features: string[], target: string, known: string[] = []): XY {
  for (const f of [...features, target]) {
    if (!table.columns.includes(f)) {
      throw new LockstepError('E_INPUT', `the dataset has no column "${f}" (columns: ${table.columns.join(', ')})`, {
        details: { column: f },
      });
    }
  }
  const labels = [...known];
  const extra = [...new Set(table.rows.map((r) => String(r[target])))].filter((l) => !labels.includes(l)).sort();
  labels.push(...extra);
  const index = new Map(labels.map((l, i) => [l, i]));
  const X: number[][] = [];
  const y: number[] = [];
  table.rows.forEach((row, i) => {
    X.push(
      features.map((f) => {
        const v = row[f];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new LockstepError(
            'E_INPUT',
            `row ${i + 1}, column "${f}": expected a number, got ${JSON.stringify(v)}`,
          );
        }
        return v;
      }),
    );
    y.push(index.get(String(row[target])) as number);
  });
  return { X, y, labels };
}

/** Accuracy, per-class precision/recall/F1 and the confusion matrix (rows: true class, columns: predicted). */
export interface Evaluation {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  confusion: number[][];
  labels: string[];
}

export function evaluate(model: LoadedModel, data: XY): Evaluation {
  const predicted = model.predictVectors(data.X, false).map((p) => p.index);
  return scoreClassification(data.y, predicted, data.labels);
}

/** The classification metrics of predicted class indices against true ones (both indices into `labels`). */
export function scoreClassification(y: readonly number[], predicted: readonly number[], labels: string[]): Evaluation {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  predicted.forEach((p, i) => {
    const t = y[i] as number;
    const row = confusion[t] as number[];
    row[p] = (row[p] ?? 0) + 1;
    if (p === t) correct++;
  });
  const perClass: Evaluation['perClass'] = {};
  let f1Sum = 0;
  labels.forEach((label, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + (row[c] ?? 0), 0);
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    f1Sum += f1;
    perClass[label] = { precision, recall, f1, support };
  });
  const n = y.length;
  return { n, accuracy: n ? correct / n : 0, macroF1: k ? f1Sum / k : 0, perClass, confusion, labels };
}

/** Folds whose class proportions follow the whole set's, from a seeded shuffle. */
export function stratifiedFolds(y: number[], k: number, seed = 42): number[][] {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const byClass = new Map<number, number[]>();
  y.forEach((c, i) => {
    const list = byClass.get(c) ?? [];
    list.push(i);
    byClass.set(c, list);
  });
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    for (const i of idx) folds[next++ % k]?.push(i);
  }
  return folds;
}

export interface TrainResult {
  file: ModelFile;
  /** Mean accuracy over stratified folds (the model itself is fitted on all the data). */
  cvAccuracy: number;
}

/**
 * Cross-validates a configuration, then fits it on all the data and wraps it
 * in a model file. With `standardise`, a scaler is fitted on each fold's
 * training rows only (and on all rows for the final model) and saved in the file.
 */
export function trainModel(
  algo: string,
  params: Record<string, unknown>,
  data: XY,
  features: string[],
  target: string,
  folds = 5,
  standardise = false,
): TrainResult {
  const a = algorithm(algo);
  const fitOn = (X: number[][], y: number[]): ModelFile => {
    const scaler = standardise ? fitScaler(X) : null;
    const model = a.train(scaler ? applyScaler(scaler, X) : X, y, params);
    return createModelFile(model, { algorithm: algo, features, labels: data.labels, target, params, scaler });
  };
  const parts = stratifiedFolds(data.y, folds);
  let acc = 0;
  for (const test of parts) {
    const held = new Set(test);
    const trainIdx = data.y.map((_, i) => i).filter((i) => !held.has(i));
    const file = fitOn(
      trainIdx.map((i) => data.X[i] as number[]),
      trainIdx.map((i) => data.y[i] as number),
    );
    const scored = evaluate(new LoadedModel(file), {
      X: test.map((i) => data.X[i] as number[]),
      y: test.map((i) => data.y[i] as number),
      labels: data.labels,
    });
    acc += scored.accuracy / parts.length;
  }
  return { file: fitOn(data.X, data.y), cvAccuracy: acc };
}
