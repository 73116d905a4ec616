import { LockstepError } from '../errors.ts';
import type { Run } from './run.ts';
import type { RunServices } from './services.ts';

/** The runs of an experiment, in insertion order, with lookup by id and by params. */
export class Runs implements Iterable<Run> {
  private list: Run[] = [];
  /** Built on the first lookup by id: most sweeps never look a run up by id, and a Map insert per run is not free. */
  private byId: Map<string, Run> | null = null;
  private readonly byKey = new Map<string, Run>();
  /** @internal given to every run added, so its steps can log artifacts and use datasets */
  services: RunServices | null = null;

  get length(): number {
    return this.list.length;
  }

  [Symbol.iterator](): Iterator<Run> {
    return this.list[Symbol.iterator]();
  }

  /** The first run; throws when there are none. */
  first(): Run {
    const run = this.list[0];
    if (!run) throw new LockstepError('E_NOT_FOUND', 'the experiment has no runs');
    return run;
  }

  /** The run with this id, or undefined. */
  get(id: string): Run | undefined {
    if (!this.byId) {
      this.byId = new Map();
      for (const run of this.list) this.byId.set(run.id, run);
    }
    return this.byId.get(id);
  }

  /** The run with these canonical params, or undefined. */
  findByParamsKey(key: string): Run | undefined {
    return this.byKey.get(key);
  }

  at(index: number): Run | undefined {
    return this.list.at(index);
  }

  toArray(): Run[] {
    return [...this.list];
  }

  filter(fn: (run: Run) => boolean): Run[] {
    return this.list.filter(fn);
  }

  map<T>(fn: (run: Run) => T): T[] {
    return this.list.map(fn);
  }

  /** @internal a run of a grid whose params key is not in the experiment yet (one map write, no look-up) */
  addNew(run: Run, key: string): void {
    if (this.byId) this.add(run);
    else {
      run.services ??= this.services;
      this.list.push(run);
      this.byKey.set(key, run);
    }
  }

  /** @internal */
  add(run: Run): void {
    if (this.byId) {
      if (this.byId.has(run.id)) {
        throw new LockstepError('E_CONFLICT', `a run with id ${run.id} is already in the experiment`);
      }
      this.byId.set(run.id, run);
    }
    run.services ??= this.services;
    this.list.push(run);
    const key = run.paramsKey;
    if (this.byKey.get(key) === undefined) this.byKey.set(key, run);
  }

  /** @internal */
  remove(ids: ReadonlySet<string>): void {
    this.list = this.list.filter((run) => {
      if (!ids.has(run.id)) return true;
      this.byId?.delete(run.id);
      if (this.byKey.get(run.paramsKey) === run) this.byKey.delete(run.paramsKey);
      return false;
    });
  }
}
