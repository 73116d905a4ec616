import { isLockstepError } from '../../errors.ts';
import { type Expr, evaluate, type Ident, parseFilter, parseIdent, type Resolved } from '../../search/index.ts';
import type { Driver } from '../../store/driver.ts';
import { invalid } from './ids.ts';
import { datasetInputs } from './inputs.ts';
import { parseOrderBy } from './paging.ts';

/**
 * MLflow's reading of a runs filter (mlflow/utils/search_utils.py), turned
 * into lockstep's grammar: `parameter.`/`param.`, `metric.`, `tag.`, `attr.`
 * and `run.` prefixes, bare names as attributes (`run_name = 'x'`),
 * `created` for `start_time`, MLflow's value types (a param is compared with
 * a quoted string, a metric with a number), its statuses (KILLED apart from
 * FAILED) and `dataset.name/digest/context`. lockstep's OR, NOT and
 * parentheses stay available.
 */

const SCOPES: Record<string, string> = {
  metric: 'metrics',
  metrics: 'metrics',
  parameter: 'params',
  parameters: 'params',
  param: 'params',
  params: 'params',
  tag: 'tags',
  tags: 'tags',
  attribute: 'attributes',
  attributes: 'attributes',
  attr: 'attributes',
  run: 'attributes',
  dataset: 'dataset',
  datasets: 'dataset',
};
const ATTRIBUTE_ALIASES: Record<string, string> = {
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
};
const ATTRIBUTES = ['end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id'];
const NUMERIC = new Set(['start_time', 'end_time']);
const DATASET_KEYS = ['context', 'digest', 'name'];
const IDENTIFIERS = ['metric', 'parameter', 'tag', 'attribute', 'dataset'];

/** An MLflow name as the grammar's: `parameter.x` → `params.x`, `run_name` → `attributes.run_name`. */
function normalise(ident: Ident): Ident {
  const scope = ident.scope === 'column' ? 'attributes' : SCOPES[ident.scope.replace(/^`|`$/g, '')];
  if (!scope) throw invalid(`Invalid entity type '${ident.scope}'. Valid values are ${JSON.stringify(IDENTIFIERS)}`);
  if (scope === 'attributes') {
    const key = ATTRIBUTE_ALIASES[ident.key] ?? ident.key;
    if (!ATTRIBUTES.includes(key))
      throw invalid(`Invalid attribute key '${ident.key}' specified. Valid keys are '${ATTRIBUTES.join("', '")}'`);
    return { ...ident, scope, key };
  }
  if (scope === 'dataset' && !DATASET_KEYS.includes(ident.key))
    throw invalid(`Invalid dataset key '${ident.key}' specified. Valid keys are '${DATASET_KEYS.join("', '")}'`);
  return { ...ident, scope };
}

/** MLflow's value checks: quoted strings for params, tags, datasets and string attributes; numbers for the rest. */
function checkValue(ident: Ident, value: unknown): void {
  const numeric = ident.scope === 'metrics' || (ident.scope === 'attributes' && NUMERIC.has(ident.key));
  if (numeric && typeof value !== 'number')
    throw invalid(
      ident.scope === 'metrics'
        ? `Expected numeric value type for metric. Found ${String(value)}`
        : `Expected numeric value type for numeric attribute: ${ident.key}. Found ${String(value)}`,
    );
  if (!numeric && typeof value !== 'string') {
    const what = { params: 'parameter', tags: 'tag', attributes: 'attributes', dataset: 'dataset attributes' }[
      ident.scope
    ];
    throw invalid(
      ident.scope === 'params' || ident.scope === 'tags'
        ? `Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${String(value)}`
        : `Expected a quoted string value for ${what}. Got value ${String(value)}`,
    );
  }
}

type DatasetRow = Awaited<ReturnType<typeof datasetInputs>>[number];

/** Rewrites a parsed filter: names normalised, values checked, dataset predicates replaced by the runs they match. */
async function rewrite(e: Expr, datasets: () => Promise<DatasetRow[]>): Promise<Expr> {
  switch (e.type) {
    case 'and':
    case 'or':
      return { ...e, left: await rewrite(e.left, datasets), right: await rewrite(e.right, datasets) };
    case 'not':
      return { ...e, expr: await rewrite(e.expr, datasets) };
    case 'null':
      return { ...e, ident: normalise(e.ident) };
    case 'in':
    case 'cmp': {
      const ident = normalise(e.ident);
      for (const v of e.type === 'in' ? e.values : [e.value]) checkValue(ident, v);
      if (ident.scope !== 'dataset') return { ...e, ident };
      // a run matches when one of its dataset inputs does
      const one = { ...e, ident } as Expr;
      const runs = new Set(
        (await datasets())
          .filter((d) => evaluate(one, ({ key }) => d[key as 'name' | 'digest' | 'context']))
          .map((d) => d.runId),
      );
      return {
        type: 'in',
        ident: { scope: 'attributes', key: 'run_id', pos: ident.pos },
        values: runs.size ? [...runs] : [''],
        negate: false,
        pos: e.pos,
      };
    }
  }
}

/** A runs filter of MLflow's API as a parsed filter of lockstep's, or null for none. */
export async function mlflowFilter(filter: string | undefined, driver: Driver, experimentId: string) {
  let expr: Expr | null;
  try {
    expr = filter?.trim() ? parseFilter(filter) : null;
  } catch (e) {
    if (isLockstepError(e, 'E_INPUT')) throw invalid(e.message);
    throw e;
  }
  if (!expr) return null;
  let rows: Promise<DatasetRow[]> | undefined;
  return rewrite(expr, () => {
    rows ??= datasetInputs(driver, experimentId);
    return rows;
  });
}

/** An order_by clause (`metrics.acc DESC`, `start_time`) as a sort key of lockstep's queryRuns. */
export function mlflowSort(clause: string): { by: Ident; order: 'asc' | 'desc' } {
  const { name, order } = parseOrderBy(clause);
  let ident: Ident;
  try {
    ident = parseIdent(name);
  } catch {
    throw invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  }
  const by = normalise(ident);
  if (by.scope === 'dataset') throw invalid(`Invalid order_by entity type '${ident.scope}'`);
  return { by, order };
}

/**
 * MLflow's statuses from lockstep's: KILLED is a failed run whose error says
 * KILLED, so `status = 'FAILED'` leaves killed runs out and ordering by status
 * sorts MLflow's names.
 */
export function statusOverride(ident: Ident): Resolved | undefined {
  if (ident.scope !== 'attributes' || ident.key !== 'status') return undefined;
  return {
    sql: `(CASE t.status WHEN 'done' THEN 'FINISHED' WHEN 'running' THEN 'RUNNING' WHEN 'pending' THEN 'SCHEDULED' WHEN 'failed' THEN (CASE WHEN t.error = 'KILLED' THEN 'KILLED' ELSE 'FAILED' END) ELSE UPPER(t.status) END)`,
    params: [],
    kind: 'string',
  };
}
