import type { InputIssue } from './instance.ts';
import type { LoadedModel } from './loaded.ts';
import type { ModelVersion } from './registry-types.ts';

/** One instance's answer: a class with its probabilities, or a model's raw outputs. */
export interface Answer {
  label?: string;
  probabilities?: Record<string, number>;
  /** Output name → this instance's part of it (a number, or nested arrays), for models that are not classifiers. */
  outputs?: Record<string, unknown>;
}

/** A checked instance: its cache key (unique per input for a version) and what the model is fed. */
export interface Checked {
  key: string;
  value: unknown;
}

/** What an instance looks like, for the API's documentation. */
export interface InstanceDoc {
  /** Named numeric features (an object keyed by them, or an array in their order); empty when the model takes tensors. */
  features: string[];
  /** Each input with what its value must be (for models that take tensors). */
  inputs: { name: string; expected: string }[];
  /** Class labels of a classifier (its answers are a label and probabilities); empty otherwise. */
  labels: string[];
  /** The outputs a model that is not a classifier answers with, and what each instance gets of them. */
  outputs: { name: string; expected: string }[];
}

/**
 * A registered version ready to answer: lockstep's ml.js models and ONNX
 * models behind one interface, so the serving API treats them alike.
 */
export interface ServableModel {
  readonly format: 'lockstep' | 'onnx';
  readonly version: ModelVersion;
  /** Column names a row of a dataset gives this model (empty when its inputs are not named columns). */
  readonly features: string[];
  /** Class labels, in the order of its probabilities; empty for a model that is not a classifier. */
  readonly labels: string[];
  /** The dataset column that holds the right answer, when recorded. */
  readonly target: string | null;
  /** True when answers come from an asynchronous runtime, where coalescing requests pays. */
  readonly batches: boolean;
  /** Checks one instance; `at` prefixes the field named in a problem (`instances[3]`). */
  check(instance: unknown, at: string): Checked | InputIssue;
  /** Answers checked values, in order. */
  answer(values: unknown[]): Answer[] | Promise<Answer[]>;
  instanceDoc(): InstanceDoc;
  close(): Promise<void>;
}

/** A lockstep model file (ml.js) as a servable model. */
export class MlServable implements ServableModel {
  readonly format = 'lockstep' as const;
  readonly batches = false;

  constructor(
    readonly loaded: LoadedModel,
    readonly version: ModelVersion,
  ) {}

  get features(): string[] {
    return this.loaded.features;
  }
  get labels(): string[] {
    return this.loaded.labels;
  }
  get target(): string | null {
    return this.loaded.file.target;
  }

  check(instance: unknown, at: string): Checked | InputIssue {
    const v = this.loaded.vector(instance, at);
    return Array.isArray(v) ? { key: v.join(','), value: v } : v;
  }

  answer(values: unknown[]): Answer[] {
    return this.loaded
      .predictVectors(values as number[][])
      .map((p) => (p.probabilities ? { label: p.label, probabilities: p.probabilities } : { label: p.label }));
  }

  instanceDoc(): InstanceDoc {
    return { features: this.features, inputs: [], labels: this.labels, outputs: [] };
  }

  async close(): Promise<void> {}
}
