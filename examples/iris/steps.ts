import type { Run } from 'lockstep';
import { type Dataset, loadIris, standardiser, stratifiedFolds } from './data.ts';
import { accuracy, confusion, macroF1, meanStd } from './metrics.ts';
import { fit, type ModelParams } from './models.ts';

/** Step 1: the data goes into `vars`, scratch space that is never stored. */
export function loadData(run: Run): void {
  run.vars.data = loadIris();
}

/**
 * Step 2: stratified k-fold cross-validation of the run's classifier. Logs
 * each fold's accuracy as a metric series and stores the summary as fields.
 */
export function crossValidate(run: Run): void {
  const data = run.vars.data as Dataset;
  const params = run.params as unknown as ModelParams;
  const folds = stratifiedFolds(data.y, Number(run.config.folds ?? 5), Number(run.config.seed ?? 42));
  const classes = data.labels.length;
  const total = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const accuracies: number[] = [];
  const started = performance.now();
  folds.forEach((testRows, fold) => {
    const test = new Set(testRows);
    const trainRows = data.y.map((_, i) => i).filter((i) => !test.has(i));
    let Xtrain = trainRows.map((i) => data.X[i] as number[]);
    let Xtest = testRows.map((i) => data.X[i] as number[]);
    if (params.model === 'knn') {
      const scale = standardiser(Xtrain);
      Xtrain = scale(Xtrain);
      Xtest = scale(Xtest);
    }
    const model = fit(
      params,
      Xtrain,
      trainRows.map((i) => data.y[i] as number),
      Number(run.config.seed ?? 42) + fold,
    );
    const m = confusion(
      testRows.map((i) => data.y[i] as number),
      model.predict(Xtest),
      classes,
    );
    m.forEach((row, i) => {
      const sum = total[i] as number[];
      row.forEach((n, j) => {
        sum[j] = (sum[j] as number) + n;
      });
    });
    const acc = accuracy(m);
    accuracies.push(acc);
    run.log('fold_accuracy', acc, fold);
  });
  const { mean, std } = meanStd(accuracies);
  run.fields.accuracy = mean;
  run.fields.accuracy_std = std;
  run.fields.macro_f1 = macroF1(total);
  run.fields.confusion = total;
  run.fields.labels = data.labels;
  run.fields.cv_ms = Math.round(performance.now() - started);
}
