import type { FastifyInstance } from 'fastify';
import type { ServerContext, Typed } from '../context.ts';
import { registerMlflowExperiments } from './experiments.ts';
import { registerMlflowHistory } from './history.ts';
import { RunLocator } from './ids.ts';
import { tolerantJson } from './json.ts';
import { registerMlflowLogging } from './logging.ts';
import { registerMlflowRuns } from './runs.ts';

/**
 * The MLflow tracking REST API under /api/2.0/mlflow and /ajax-api/2.0/mlflow
 * (MLflow's own web UI uses the latter). Both prefixes share one set of routes;
 * only the first is listed in the OpenAPI document.
 */
export async function registerMlflow(app: Typed, ctx: ServerContext): Promise<void> {
  const runs = new RunLocator(ctx.store);
  for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    await app.register(
      async (scope: FastifyInstance) => {
        tolerantJson(scope);
        const typed = scope as Typed;
        if (prefix.startsWith('/ajax'))
          typed.addHook('onRoute', (r) => {
            r.schema = { ...(r.schema ?? {}), hide: true };
          });
        registerMlflowExperiments(typed, ctx);
        registerMlflowRuns(typed, ctx, runs);
        registerMlflowLogging(typed, ctx, runs);
        registerMlflowHistory(typed, ctx, runs);
      },
      { prefix },
    );
  }
}
