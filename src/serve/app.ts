import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { LockstepError } from '../errors.ts';
import { installAuth, normaliseTokens, type TokenSpec } from '../server/auth.ts';
import { boundNames, installHostCheck } from '../server/hosts.ts';
import { installInputChecks } from '../server/input.ts';
import type { Session } from '../session.ts';
import { VERSION } from '../version.ts';
import { Batcher } from './batch.ts';
import { PredictionCache } from './cache.ts';
import { installNotFound, installServeErrors } from './errors.ts';
import { JobQueue } from './jobs.ts';
import { registerModelRoutes } from './routes.ts';
import { ServedModel } from './served.ts';

export interface ServeOptions {
  session: Session;
  /** `models:/iris@champion`, `models:/iris/3` or `models:/iris` (latest). */
  uri: string;
  /** Most predictions kept in the LRU cache (default 10,000). */
  cacheSize?: number;
  /** Fastify's logger: one structured line per request when on (off by default). */
  logger?: FastifyServerOptions['logger'];
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Bearer tokens, as for the tracking server: a read token may predict,
   * evaluate and read; retraining and emptying the cache need a read-write
   * one. Without any, every request is allowed (keep it on loopback).
   */
  tokens?: TokenSpec[] | { read?: string[]; write?: string[] };
  /** Host names the API answers to besides loopback's (see `boundNames`; `*` for any). */
  allowedHosts?: string[];
  /**
   * Batching for models with an asynchronous runtime (ONNX): how long the
   * first of concurrent requests waits for others to join its inference call
   * (default 2 ms; 0 runs each request on its own), and the most instances
   * in one call (default 256).
   */
  batchWindowMs?: number;
  maxBatch?: number;
}

/** What a serving app holds, for callers that embed it (and tests). */
export interface ServeState {
  served: ServedModel;
  cache: PredictionCache;
  jobs: JobQueue;
  batcher: Batcher;
  startedAt: number;
}

export type ServeApp = FastifyInstance & { serving: ServeState };

/**
 * Builds the model-serving API for one model URI. It loads the model first
 * (a model that cannot be loaded is an error here, before anything listens);
 * it does not listen: use `app.inject()` in tests or `app.listen()`.
 *
 * @example
 * ```ts
 * const app = await createServeApp({ session, uri: 'models:/iris@champion' });
 * const res = await app.inject({ method: 'POST', url: '/predict', payload: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } });
 * ```
 */
export async function createServeApp(options: ServeOptions): Promise<ServeApp> {
  if (!options?.session) throw new LockstepError('E_INPUT', 'createServeApp needs a session');
  const served = new ServedModel(options.session.models, options.uri);
  await served.load();
  const state: ServeState = {
    served,
    cache: new PredictionCache(options.cacheSize ?? 10_000),
    jobs: new JobQueue(),
    batcher: new Batcher(options.batchWindowMs ?? 2, options.maxBatch ?? 256),
    startedAt: Date.now(),
  };
  const app = Fastify({
    logger: options.logger ?? false,
    // Fastify's own two lines per request are replaced by the one line of the onResponse hook below
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installServeErrors(app);
  installNotFound(app);
  installHostCheck(app, boundNames('127.0.0.1', options.allowedHosts ?? []));
  await installAuth(app, normaliseTokens(options.tokens));
  installInputChecks(app);
  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      {
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 1000) / 1000,
        cache: (reply as unknown as { cacheState?: string }).cacheState,
      },
      'request',
    );
    done();
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: `lockstep serve: ${served.name}`,
        description: `Predictions from ${options.uri} (model registry of lockstep ${VERSION}).`,
        version: VERSION,
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerModelRoutes(typed, options.session, state);
  app.addHook('onClose', async () => {
    await state.jobs.idle();
    await served.close();
  });
  await app.ready();
  return Object.assign(app, { serving: state }) as unknown as ServeApp;
}
