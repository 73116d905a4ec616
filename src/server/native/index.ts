import type { ServerContext, Typed } from '../context.ts';
import { registerExperiments } from './experiments.ts';
import { registerLocks } from './locks.ts';
import { registerMetrics } from './metrics.ts';
import { registerRecords } from './records.ts';
import { registerRegistry } from './registry.ts';
import { registerRunWrites } from './run-writes.ts';
import { registerRuns } from './runs.ts';
import { registerSql } from './sql.ts';

/** The native API under /api/v1 (see docs/api-contract.md). */
export async function registerNative(app: Typed, ctx: ServerContext): Promise<void> {
  registerExperiments(app, ctx);
  registerRuns(app, ctx);
  registerRunWrites(app, ctx);
  registerMetrics(app, ctx);
  registerSql(app, ctx);
  registerRecords(app, ctx);
  registerLocks(app, ctx);
  await registerRegistry(app, ctx);
}
