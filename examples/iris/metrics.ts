/** A confusion matrix: rows are true classes, columns predicted classes. */
export function confusion(truth: number[], predicted: number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => {
    const row = m[t];
    const p = predicted[i] as number;
    if (row && p >= 0 && p < classes) row[p] = (row[p] as number) + 1;
  });
  return m;
}

export function accuracy(m: number[][]): number {
  let right = 0;
  let all = 0;
  m.forEach((row, i) => {
    row.forEach((n, j) => {
      all += n;
      if (i === j) right += n;
    });
  });
  return all === 0 ? 0 : right / all;
}

/** The unweighted mean of the per-class F1 scores. */
export function macroF1(m: number[][]): number {
  const f1 = m.map((row, c) => {
    const tp = row[c] as number;
    const fn = row.reduce((s, n) => s + n, 0) - tp;
    const fp = m.reduce((s, r) => s + (r[c] as number), 0) - tp;
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return f1.reduce((s, x) => s + x, 0) / f1.length;
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  return { mean, std };
}
