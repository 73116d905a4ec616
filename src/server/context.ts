import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Session } from '../session.ts';
import type { Store } from '../store/store.ts';
import type { SqlRunner } from './sql/index.ts';

/** The Fastify instance with zod schemas as its type provider. */
export type Typed = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What route modules receive: the store and the resolved limits. */
export interface ServerContext {
  store: Store;
  /** Present when the server was given a session: artifacts and the model registry need it. */
  session?: Session | undefined;
  sql: { timeoutMs: number; maxRows: number };
  /** Runs the SQL endpoint's statements on connections of their own. */
  sqlRunner: SqlRunner;
}
