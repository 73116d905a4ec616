import type { Table } from '../artifacts/tabular.ts';
import { LockstepError } from '../errors.ts';
import { issueMessage } from '../models/instance.ts';
import { type Answer, MlServable, type ServableModel } from '../models/servable.ts';
import { type Evaluation, evaluate, scoreClassification, tableToXY } from '../models/train.ts';

/** How close a regressor's answers are to a dataset's values. */
export interface RegressionEvaluation {
  n: number;
  rmse: number;
  mae: number;
  r2: number;
}

const CHUNK = 1000;

/**
 * Scores the served model on a table: classification metrics for a
 * classifier, RMSE/MAE/R² for a model with one number per instance. A model
 * that lockstep did not train can be evaluated as long as its inputs are
 * named columns (an ONNX model registered with a schema naming them).
 */
export async function evaluateModel(
  model: ServableModel,
  table: Table,
  target: string,
): Promise<Evaluation | RegressionEvaluation> {
  if (model instanceof MlServable)
    return evaluate(model.loaded, tableToXY(table, model.features, target, model.labels));
  if (!model.features.length) {
    const inputs = model.instanceDoc().inputs.map((i) => `${i.name}: ${i.expected}`);
    throw new LockstepError(
      'E_INPUT',
      `the model takes ${inputs.join('; ')}, with no column names, so it cannot read rows of a table; ` +
        'register it with a schema naming its columns (lockstep models register NAME model.onnx --schema schema.json) to evaluate it',
    );
  }
  for (const c of [...model.features, target])
    if (!table.columns.includes(c))
      throw new LockstepError('E_INPUT', `the dataset has no column "${c}" (columns: ${table.columns.join(', ')})`);
  const answers: Answer[] = [];
  for (let start = 0; start < table.rows.length; start += CHUNK) {
    const values = table.rows.slice(start, start + CHUNK).map((row, i) => {
      const c = model.check(Object.fromEntries(model.features.map((f) => [f, row[f]])), '');
      if ('field' in c) throw new LockstepError('E_INPUT', `row ${start + i + 1}: ${issueMessage(c)}`);
      return c.value;
    });
    answers.push(...(await model.answer(values)));
  }
  const truth = table.rows.map((r) => r[target]);
  if (answers.every((a) => a.label !== undefined)) {
    const labels = [...model.labels];
    for (const t of truth) if (!labels.includes(String(t))) labels.push(String(t));
    const index = (l: unknown) => labels.indexOf(String(l));
    return scoreClassification(
      truth.map(index),
      answers.map((a) => index(a.label)),
      labels,
    );
  }
  return scoreRegression(truth, answers);
}

function scoreRegression(truth: unknown[], answers: Answer[]): RegressionEvaluation {
  const values = answers.map((a) => {
    const parts = Object.values(a.outputs ?? {});
    const v = parts.length === 1 ? (Array.isArray(parts[0]) && parts[0].length === 1 ? parts[0][0] : parts[0]) : null;
    if (typeof v !== 'number')
      throw new LockstepError(
        'E_INPUT',
        'evaluate scores classifiers and models that give one number per instance; this model gives ' +
          Object.keys(a.outputs ?? {}).join(', '),
      );
    return v;
  });
  const y = truth.map((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t))
      throw new LockstepError('E_INPUT', `row ${i + 1}: the target column holds ${JSON.stringify(t)}, not a number`);
    return t;
  });
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / (n || 1);
  let se = 0;
  let ae = 0;
  let tot = 0;
  y.forEach((t, i) => {
    const e = (values[i] as number) - t;
    se += e * e;
    ae += Math.abs(e);
    tot += (t - mean) ** 2;
  });
  return { n, rmse: Math.sqrt(se / (n || 1)), mae: ae / (n || 1), r2: tot ? 1 - se / tot : 0 };
}
