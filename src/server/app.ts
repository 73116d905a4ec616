import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { LockstepError } from '../errors.ts';
import type { Session } from '../session.ts';
import type { Store } from '../store/store.ts';
import { VERSION } from '../version.ts';
import { installAuth, normaliseTokens, type TokenSpec } from './auth.ts';
import type { ServerContext } from './context.ts';
import { installCors } from './cors.ts';
import { installErrorHandler } from './errors.ts';
import { installSecurityHeaders } from './headers.ts';
import { boundNames, installHostCheck } from './hosts.ts';
import { installInputChecks } from './input.ts';
import { registerMlflow } from './mlflow/index.ts';
import { registerNative } from './native/index.ts';
import { closePointWriter } from './native/point-writer.ts';
import { openSqlRunner, type SqlEndpointOptions } from './sql/index.ts';
import { registerStatic } from './static.ts';

export interface ServerOptions {
  /** The session whose database the server serves (or give `store`). */
  session?: Session;
  store?: Store;
  /** Bearer tokens; without any, every request is allowed (loopback only, see `startServer`). */
  tokens?: TokenSpec[] | { read?: string[]; write?: string[] };
  /** Largest accepted request body in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Origins allowed to call the API from a browser; none by default (no CORS headers at all). */
  corsOrigins?: string[];
  /**
   * Host names the server answers to besides loopback's: any other `Host`
   * is refused (421), which defeats DNS rebinding. `startServer` adds the
   * names of the address it binds; `*` accepts any.
   */
  allowedHosts?: string[];
  /** The built web UI to serve at `/`; `false` for none. Default: the package's `ui/dist` or `dist/ui`. */
  uiRoot?: string | false;
  /**
   * The read-only SQL endpoint: its limits and, on PostgreSQL, the read-only
   * role it connects as (`url`, provisioned by `lockstep db grant-readonly`).
   * Without `url` it uses the store's role, and refuses to run when that role
   * can write or is a superuser, unless `allowPrivilegedRole`.
   */
  sql?: { timeoutMs?: number; maxRows?: number } & SqlEndpointOptions;
  /** Fastify's logger (off by default; `lockstep ui` turns it on). */
  logger?: boolean;
}

export type App = FastifyInstance;

/**
 * Builds the tracking server: the native API under `/api/v1`, the MLflow
 * tracking API under `/api/2.0/mlflow` (and `/ajax-api/2.0/mlflow`), OpenAPI
 * at `/openapi.json`, Swagger UI at `/docs` and the web UI at `/`. It does not
 * listen: call `app.inject()` in tests or {@link startServer}.
 *
 * @example
 * ```ts
 * const app = await createServer({ session, tokens: { write: [process.env.TOKEN!] } });
 * const res = await app.inject({ url: '/api/v1/experiments', headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function createServer(options: ServerOptions): Promise<App> {
  const store = options.store ?? options.session?.store;
  if (!store) throw new LockstepError('E_INPUT', 'createServer needs a session or a store');
  await store.init();
  const tokens = normaliseTokens(options.tokens);
  const app = Fastify({
    logger: options.logger
      ? {
          // a token given as ?token= must not end up in the log
          serializers: {
            req: (req: { method: string; url: string; ip?: string }) => ({
              method: req.method,
              url: req.url.replace(/([?&]token=)[^&]*/i, '$1***'),
              remoteAddress: req.ip,
            }),
          },
        }
      : false,
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    // run ids, keys and experiment names (up to 500 characters, percent-encoded) travel in URLs
    routerOptions: { maxParamLength: 2000 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installHostCheck(app, boundNames('127.0.0.1', options.allowedHosts ?? []), options.corsOrigins ?? []);
  installCors(app, options.corsOrigins ?? []);
  installSecurityHeaders(app);
  installInputChecks(app);
  await installAuth(app, tokens, { signIn: true });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'lockstep tracking server',
        description: 'Native API (/api/v1), MLflow tracking API (/api/2.0/mlflow), read-only SQL.',
        version: VERSION,
      },
      components: tokens.length ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
      security: tokens.length ? [{ bearer: [] }] : [],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (options.sql?.url !== undefined && store.driver.dialect.name !== 'postgres')
    throw new LockstepError('E_INPUT', 'sql.url (--sql-url) names a PostgreSQL role; this database is not PostgreSQL');
  const sqlRunner = openSqlRunner(store, options.sql);
  app.addHook('onClose', () => sqlRunner.close());
  app.addHook('onClose', () => closePointWriter(store.driver));
  const ctx: ServerContext = {
    store,
    session: options.session,
    sql: { timeoutMs: options.sql?.timeoutMs ?? 5000, maxRows: options.sql?.maxRows ?? 10_000 },
    sqlRunner,
  };
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  typed.get('/api/v1/health', { schema: { hide: true }, config: { public: true } }, async () => ({
    ok: true,
    version: VERSION,
    dialect: store.driver.dialect.name,
    auth: tokens.length ? 'token' : 'none',
  }));
  await registerNative(typed, ctx);
  await registerMlflow(typed, ctx);
  registerStatic(app, options.uiRoot);
  await app.ready();
  return app;
}
