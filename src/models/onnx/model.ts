import { LockstepError } from '../../errors.ts';
import { describe, featureVector, type InputIssue } from '../instance.ts';
import type { ModelVersion } from '../registry-types.ts';
import type { Answer, Checked, InstanceDoc, ServableModel } from '../servable.ts';
import { checkFeed, expectedValue, type Feed, type InputPlan, planInput, sliceOutput, stack } from './feeds.ts';
import { type OrtModule, type OrtSession, type OrtTensor, onnxRuntime } from './runtime.ts';
import { type OnnxSignature, readOnnx } from './signature.ts';

/** What the registry records about an ONNX model beyond its file: column names, class names, the target column. */
export interface OnnxSchema {
  /** Names of the columns of the model's one 2-D numeric input, in order (lets requests and datasets use names). */
  features: string[];
  /** Names of the classes, in the order of the model's class labels (or of its probability columns). */
  labels: string[];
  target: string | null;
}

/**
 * Checks a schema against a model: names for the columns of its single
 * [N, d] numeric input (d names), and class names only for a classifier
 * (as many as it has classes, when it records them).
 */
export function checkSchema(signature: OnnxSignature, schema: OnnxSchema, where: string): void {
  const bad = (field: string, why: string) =>
    new LockstepError('E_INPUT', `${where}: schema ${field}: ${why}`, { details: { field } });
  if (schema.features.length) {
    const only = signature.inputs.length === 1 ? planInput(signature.inputs[0] as never) : null;
    const d = only && only.item.length === 1 && only.kind === 'number' ? only.item[0] : undefined;
    if (d === undefined || d === null)
      throw bad(
        'features',
        'names columns, but the model does not take one 2-D numeric input with a fixed column count',
      );
    if (schema.features.length !== d)
      throw bad('features', `${schema.features.length} names for the ${d} columns of input ${only?.spec.name}`);
    if (new Set(schema.features).size !== d) throw bad('features', 'has duplicate names');
  }
  if (schema.labels.length) {
    const c = signature.classifier;
    if (!c) throw bad('labels', 'names classes, but the model has no label output (it is not a classifier)');
    if (c.classes && c.classes.length !== schema.labels.length)
      throw bad(
        'labels',
        `${schema.labels.length} names for the model's ${c.classes.length} classes (${c.classes.join(', ')})`,
      );
  }
}

/** An ONNX model served through onnxruntime-node. */
export class OnnxModel implements ServableModel {
  readonly format = 'onnx' as const;
  readonly batches = true;
  private readonly plans: InputPlan[];
  private batchable: boolean;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly signature: OnnxSignature,
    private readonly schema: OnnxSchema,
    readonly version: ModelVersion,
  ) {
    this.plans = signature.inputs.map(planInput);
    this.batchable = this.plans.every((p) => p.batch === 'dynamic');
  }

  /** Reads, checks and loads ONNX bytes; `where` names the model in errors. */
  static async open(bytes: Uint8Array, version: ModelVersion, schema: OnnxSchema, where: string): Promise<OnnxModel> {
    const { signature, patch } = readOnnx(bytes, where);
    signature.inputs.map(planInput); // an input lockstep cannot feed is refused before the runtime loads
    checkSchema(signature, schema, where);
    const ort = await onnxRuntime();
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(patch ? Buffer.concat([bytes, patch]) : bytes);
    } catch (e) {
      throw new LockstepError('E_CODEC', `${where}: onnxruntime cannot load the model: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new OnnxModel(ort, session, signature, schema, version);
  }

  get features(): string[] {
    return this.schema.features;
  }
  get labels(): string[] {
    return this.schema.labels.length ? this.schema.labels : (this.signature.classifier?.classes ?? []);
  }
  get target(): string | null {
    return this.schema.target;
  }

  check(instance: unknown, at: string): Checked | InputIssue {
    const feeds = this.feeds(instance, at);
    if (!Array.isArray(feeds)) return feeds;
    // numbers joined by commas are unambiguous for one 1-D numeric input; anything else (strings can hold commas) is JSON
    const plain = feeds.length === 1 && feeds[0]?.dims.length === 1 && this.plans[0]?.kind !== 'string';
    const key = plain ? (feeds[0] as Feed).flat.join(',') : JSON.stringify(feeds);
    return { key, value: feeds };
  }

  private feeds(instance: unknown, at: string): Feed[] | InputIssue {
    const plans = this.plans;
    const only = plans.length === 1 ? (plans[0] as InputPlan) : null;
    const isObject = instance !== null && typeof instance === 'object' && !Array.isArray(instance);
    const keyed = isObject && plans.every((p) => p.spec.name in (instance as object));
    if (only && this.features.length && !keyed) {
      const v = featureVector(this.features, instance, at);
      return Array.isArray(v) ? [{ flat: v, dims: [v.length] }] : v;
    }
    if (only && !isObject) {
      const f = checkFeed(only, instance, at || only.spec.name);
      return 'flat' in f ? [f] : f;
    }
    if (!isObject)
      return {
        field: at || 'body',
        expected: `an object with ${plans.map((p) => p.spec.name).join(', ')}`,
        received: describe(instance),
      };
    const obj = instance as Record<string, unknown>;
    const out: Feed[] = [];
    for (const p of plans) {
      const field = at ? `${at}.${p.spec.name}` : p.spec.name;
      if (!(p.spec.name in obj)) return { field, expected: expectedValue(p), received: describe(undefined) };
      const f = checkFeed(p, obj[p.spec.name], field);
      if (!('flat' in f)) return f;
      out.push(f);
    }
    for (const key in obj) {
      if (!plans.some((p) => p.spec.name === key))
        return { field: at ? `${at}.${key}` : key, expected: 'no such field', received: describe(obj[key]) };
    }
    return out;
  }

  /**
   * Answers checked instances: those whose values have the same dimensions
   * run as one batch when every input has a free batch dimension, the others
   * one by one.
   */
  async answer(values: unknown[]): Promise<Answer[]> {
    const feeds = values as Feed[][];
    const out = new Array<Answer>(feeds.length);
    const groups = new Map<string, number[]>();
    feeds.forEach((f, i) => {
      const sig = f.map((x) => x.dims.join('x')).join('|');
      const list = groups.get(sig) ?? [];
      list.push(i);
      groups.set(sig, list);
    });
    for (const idx of groups.values()) {
      const answers = this.batchable
        ? await this.run(
            idx.map((i) => feeds[i] as Feed[]),
            true,
          )
        : null;
      if (answers)
        idx.forEach((i, j) => {
          out[i] = answers[j] as Answer;
        });
      else {
        // outputs that cannot be split by instance: run each alone from now on
        if (this.batchable && idx.length > 1) this.batchable = false;
        for (const i of idx) out[i] = (await this.run([feeds[i] as Feed[]], false))?.[0] as Answer;
      }
    }
    return out;
  }

  private async run(instances: Feed[][], batched: boolean): Promise<Answer[] | null> {
    const n = instances.length;
    const inputs: Record<string, OrtTensor> = {};
    this.plans.forEach((p, j) => {
      inputs[p.spec.name] = stack(
        this.ort,
        batched ? p : { ...p, batch: p.batch === 'dynamic' ? 'one' : p.batch },
        instances.map((f) => f[j] as Feed),
      );
    });
    const fetches = this.signature.outputs.map((o) => o.name);
    let result: Record<string, OrtTensor>;
    try {
      result = await this.session.run(inputs, fetches);
    } catch (e) {
      // what the checks let through and the graph refuses (a free dimension of the wrong size, say)
      throw new LockstepError('E_INPUT', `the model cannot run on this input: ${(e as Error).message}`, { cause: e });
    }
    const split = this.plans.some((p) => p.batch !== 'none');
    const answers: Answer[] = [];
    for (let i = 0; i < n; i++) {
      const parts: Record<string, unknown> = {};
      for (const name of fetches) {
        const t = result[name] as OrtTensor;
        // an output without a batch dimension belongs whole to a lone instance
        const part = sliceOutput(t, i, n, split) ?? (n === 1 ? sliceOutput(t, 0, 1, false) : null);
        if (part === null) return null;
        parts[name] = part;
      }
      answers.push(this.toAnswer(parts));
    }
    return answers;
  }

  private toAnswer(parts: Record<string, unknown>): Answer {
    const c = this.signature.classifier;
    if (!c) return { outputs: parts };
    const raw = parts[c.label];
    const value = Array.isArray(raw) ? raw[0] : raw;
    const names = this.labels;
    const position = (v: unknown) => (c.classes ? c.classes.indexOf(String(v)) : Number(v));
    const label = names[position(value)] ?? String(value);
    if (!c.probabilities) return { label };
    const row = parts[c.probabilities] as number[];
    const probabilities: Record<string, number> = {};
    row.forEach((p, k) => {
      probabilities[names[k] ?? String(k)] = p;
    });
    return { label, probabilities };
  }

  instanceDoc(): InstanceDoc {
    const classifier = this.signature.classifier !== null;
    return {
      features: this.features,
      inputs: this.plans.map((p) => ({ name: p.spec.name, expected: expectedValue(p) })),
      labels: classifier ? this.labels : [],
      outputs: classifier
        ? []
        : this.signature.outputs.map((o) => ({
            name: o.name,
            expected: `${o.type}, shape [${o.shape.map((d) => d ?? '?').join(', ')}] (this instance's part of it)`,
          })),
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
