import { LockstepError } from '../errors.ts';
import type { ModelRegistry, ModelVersion } from '../models/registry.ts';
import type { ServableModel } from '../models/servable.ts';
import { formatModelUri, type ModelRef, parseModelUri } from '../models/uri.ts';

/** A replaced model is released this long after the swap, when requests that started on it have finished. */
const RELEASE_AFTER_MS = 30_000;

/**
 * The model a server answers with: the URI it was started with and the
 * version that URI resolved to. A retrain swaps it in one assignment, so a
 * request sees either the old version or the new one, never a mix.
 */
export class ServedModel {
  readonly ref: ModelRef;
  private current: ServableModel | null = null;

  constructor(
    private readonly models: ModelRegistry,
    readonly uri: string,
  ) {
    this.ref = parseModelUri(uri);
  }

  /** Resolves the URI and loads that version; a failure names the URI and leaves the served version as it was. */
  async load(): Promise<ModelVersion> {
    let next: ServableModel;
    try {
      next = await this.models.open(this.ref);
    } catch (e) {
      if (e instanceof LockstepError) {
        throw new LockstepError(e.code, `cannot load ${formatModelUri(this.ref)}: ${e.message}`, {
          cause: e,
          details: e.details,
        });
      }
      throw e;
    }
    this.swap(next);
    return next.version;
  }

  /** Serves a given version (after a retrain promoted it). */
  async use(version: number): Promise<void> {
    this.swap(await this.models.open({ name: this.ref.name, version }));
  }

  private swap(next: ServableModel): void {
    const old = this.current;
    this.current = next;
    if (old) setTimeout(() => void old.close().catch(() => undefined), RELEASE_AFTER_MS).unref();
  }

  /** Releases the served model (the server is closing). */
  async close(): Promise<void> {
    await this.current?.close();
    this.current = null;
  }

  get model(): ServableModel {
    if (!this.current) throw new LockstepError('E_UNAVAILABLE', 'no model loaded yet');
    return this.current;
  }

  get name(): string {
    return this.ref.name;
  }

  get version(): number {
    return this.model.version.version;
  }
}
