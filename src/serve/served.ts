import { LockstepError } from '../errors.ts';
import type { LoadedModel } from '../models/loaded.ts';
import type { ModelRegistry, ModelVersion } from '../models/registry.ts';
import { formatModelUri, type ModelRef, parseModelUri } from '../models/uri.ts';

/**
 * The model a server answers with: the URI it was started with and the
 * version that URI resolved to. A retrain swaps it in one assignment, so a
 * request sees either the old version or the new one, never a mix.
 */
export class ServedModel {
  readonly ref: ModelRef;
  private current: (LoadedModel & { version: ModelVersion }) | null = null;

  constructor(
    private readonly models: ModelRegistry,
    readonly uri: string,
  ) {
    this.ref = parseModelUri(uri);
  }

  /** Resolves the URI and loads that version; a failure names the URI and leaves the served version as it was. */
  async load(): Promise<ModelVersion> {
    let next: LoadedModel & { version: ModelVersion };
    try {
      next = await this.models.load(this.ref);
    } catch (e) {
      if (e instanceof LockstepError) {
        throw new LockstepError(e.code, `cannot load ${formatModelUri(this.ref)}: ${e.message}`, {
          cause: e,
          details: e.details,
        });
      }
      throw e;
    }
    this.current = next;
    return next.version;
  }

  /** Serves a given version (after a retrain promoted it). */
  async use(version: number): Promise<void> {
    this.current = await this.models.load({ name: this.ref.name, version });
  }

  get model(): LoadedModel & { version: ModelVersion } {
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
