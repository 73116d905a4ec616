import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.ts';
import type { ServerContext, Typed } from '../context.ts';
import { registerMlflowArtifacts } from './artifacts.ts';
import { installMlflowErrors } from './errors.ts';
import { registerMlflowExperiments } from './experiments.ts';
import { registerMlflowHistory } from './history.ts';
import { RunLocator } from './ids.ts';
import { registerMlflowInputs } from './inputs.ts';
import { tolerantJson } from './json.ts';
import { LoggedModels, registerLoggedModels } from './logged-models.ts';
import { registerMlflowLogging } from './logging.ts';
import { registerMlflowModelVersions } from './model-versions.ts';
import { registerMlflowRegistry } from './registry.ts';
import { registerMlflowRuns } from './runs.ts';

/**
 * The MLflow tracking REST API under /api/2.0/mlflow and /ajax-api/2.0/mlflow
 * (MLflow's own web UI uses the latter). Both prefixes share one set of routes;
 * only the first is listed in the OpenAPI document.
 */
export async function registerMlflow(app: Typed, ctx: ServerContext): Promise<void> {
  const runs = new RunLocator(ctx.store);
  const models = new LoggedModels(ctx.store.driver);
  for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    await app.register(
      async (scope: FastifyInstance) => {
        tolerantJson(scope);
        installMlflowErrors(scope);
        const typed = scope as Typed;
        if (prefix.startsWith('/ajax')) hideFromDocs(scope);
        registerMlflowExperiments(typed, ctx);
        registerMlflowRuns(typed, ctx, runs);
        registerMlflowLogging(typed, ctx, runs);
        registerMlflowHistory(typed, ctx, runs);
        registerLoggedModels(typed, ctx, models);
        registerMlflowInputs(typed, ctx, runs, models);
        registerMlflowRegistry(typed, ctx);
        registerMlflowModelVersions(typed, ctx, runs, models);
      },
      { prefix },
    );
    await app.register(
      async (scope: FastifyInstance) => {
        installMlflowErrors(scope);
        if (prefix.startsWith('/ajax')) hideFromDocs(scope);
        registerMlflowArtifacts(scope, ctx, runs, models);
      },
      { prefix: `${prefix}-artifacts` },
    );
  }
  // MLflow 3's /api/3.0 routes (traces, GenAI datasets) are not served: the client falls back on ENDPOINT_NOT_FOUND
  for (const prefix of ['/api/3.0/mlflow', '/ajax-api/3.0/mlflow'])
    await app.register(async (scope: FastifyInstance) => installMlflowErrors(scope), { prefix });
  // MLflow's server answers these two as plain text; clients probe /version for features
  app.get('/version', { schema: { hide: true }, config: { public: true } }, async (_req, reply) =>
    reply.type('text/plain; charset=utf-8').send(VERSION),
  );
  app.get('/health', { schema: { hide: true }, config: { public: true } }, async (_req, reply) =>
    reply.type('text/plain; charset=utf-8').send('OK'),
  );
}

/** The /ajax-api twins answer like the /api routes but stay out of the OpenAPI document. */
function hideFromDocs(scope: FastifyInstance): void {
  scope.addHook('onRoute', (r) => {
    r.schema = { ...(r.schema ?? {}), hide: true };
  });
}
