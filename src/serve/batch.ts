import type { Answer, ServableModel } from '../models/servable.ts';

interface Waiting {
  model: ServableModel;
  values: unknown[];
  resolve: (answers: Answer[]) => void;
  reject: (e: unknown) => void;
}

export interface BatchingStats {
  /** How long the first request of a batch waits for others (0: every request runs on its own). */
  windowMs: number;
  /** A batch runs as soon as it holds this many instances. */
  maxBatch: number;
  /** Inference calls made, and the instances they answered: instances / calls is the mean batch size. */
  calls: number;
  instances: number;
}

/**
 * Coalesces concurrent requests into one inference call: the first request
 * to arrive opens a window of `windowMs`, and whatever arrives before it
 * closes (or until `maxBatch` instances wait) runs as one batch. Each
 * request gets its own answers back. When a batch fails, its requests are
 * run again one by one, so that one request's failure is its own. Models
 * whose answers are synchronous (ml.js) gain nothing from waiting and are
 * answered at once.
 */
export class Batcher {
  private waiting: Waiting[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  private calls = 0;
  private instances = 0;

  constructor(
    readonly windowMs: number,
    readonly maxBatch: number,
  ) {}

  async answer(model: ServableModel, values: unknown[]): Promise<Answer[]> {
    if (this.windowMs <= 0 || !model.batches) return this.call(model, values);
    return new Promise<Answer[]>((resolve, reject) => {
      this.waiting.push({ model, values, resolve, reject });
      this.size += values.length;
      if (this.size >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  stats(): BatchingStats {
    return { windowMs: this.windowMs, maxBatch: this.maxBatch, calls: this.calls, instances: this.instances };
  }

  private async call(model: ServableModel, values: unknown[]): Promise<Answer[]> {
    const answers = await model.answer(values);
    this.calls++;
    this.instances += values.length;
    return answers;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.waiting;
    this.waiting = [];
    this.size = 0;
    // requests checked against different versions (a retrain swapped the model meanwhile) run apart
    const byModel = new Map<ServableModel, Waiting[]>();
    for (const w of waiting) byModel.set(w.model, [...(byModel.get(w.model) ?? []), w]);
    for (const [model, group] of byModel) void this.run(model, group);
  }

  private async run(model: ServableModel, group: Waiting[]): Promise<void> {
    try {
      const answers = await this.call(
        model,
        group.flatMap((w) => w.values),
      );
      let k = 0;
      for (const w of group) {
        w.resolve(answers.slice(k, k + w.values.length));
        k += w.values.length;
      }
    } catch (e) {
      if (group.length === 1) return group[0]?.reject(e);
      for (const w of group) await this.call(model, w.values).then(w.resolve, w.reject);
    }
  }
}
