import type { Run } from '../core/run.ts';
import type { ArtifactInfo, RunServices } from '../core/services.ts';
import { ModelRegistry } from '../models/registry.ts';
import type { Driver } from '../store/driver.ts';
import { ArtifactStore } from './artifacts.ts';
import { ArtifactContext, type ArtifactOptions } from './context.ts';
import { DatasetRegistry } from './datasets.ts';
import { type BlobGcOptions, type BlobGcReport, collectBlobs } from './gc.ts';
import { resolveLocations } from './open.ts';

/**
 * A session's artifacts, datasets and garbage collection over one blob store,
 * and the services the session's runs use to reach them.
 */
export class ArtifactHub {
  readonly ctx: ArtifactContext;
  readonly artifacts: ArtifactStore;
  readonly datasets: DatasetRegistry;
  readonly models: ModelRegistry;

  constructor(driver: Driver, dbUrl: string, options: ArtifactOptions = {}) {
    const remote = /^https?:\/\//i.test(dbUrl)
      ? `artifacts, datasets and the model registry need a direct database connection (SQLite or PostgreSQL); the remote session ${dbUrl} does not carry them`
      : undefined;
    this.ctx = new ArtifactContext(
      driver,
      () => resolveLocations(driver, dbUrl, options),
      dbUrl,
      options.maxBytes,
      remote,
    );
    this.artifacts = new ArtifactStore(this.ctx);
    this.datasets = new DatasetRegistry(this.ctx);
    this.models = new ModelRegistry(this.ctx);
  }

  gc(options?: BlobGcOptions): Promise<BlobGcReport> {
    return collectBlobs(this.ctx, options);
  }

  /** What runs of one experiment may do: artifacts and dataset uses recorded under the experiment's id. */
  servicesFor(experimentId: string): RunServices {
    return {
      logArtifact: (run: Run, name: string, source: string | Uint8Array): Promise<ArtifactInfo> =>
        this.artifacts.log(experimentId, run.id, name, source),
      useDataset: (run: Run, name: string, version?: string): Promise<string> =>
        this.datasets.use(experimentId, run.id, name, version),
    };
  }
}
