import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, LockstepError } from '../errors.ts';
import { HttpError } from '../server/errors.ts';

/** Bad input is 422 throughout the serving API: the request was understood, its content is not usable. */
const STATUS: Record<ErrorCode, number> = {
  E_INPUT: 422,
  E_VALUE: 422,
  E_SQL: 400,
  E_CODEC: 500,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_UNAVAILABLE: 503,
  E_STORE: 500,
  E_RUN: 500,
};

/** Unknown routes answer in the API's error shape, not Fastify's. */
export function installNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((req) => {
    throw new HttpError(404, 'E_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]} (see /docs for the API)`);
  });
}

/** The serving API's one error funnel: `{ error: { code, message, field? } }`, internals only in the log. */
export function installServeErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0];
      const path = (issue?.instancePath ?? '').slice(1).replaceAll('/', '.');
      const field = path || (err as { validationContext?: string }).validationContext || 'body';
      return reply
        .code(422)
        .send({ error: { code: 'E_INPUT', message: `${field}: ${issue?.message ?? 'invalid'}`, field } });
    }
    if (err instanceof HttpError)
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...err.extra } });
    if (err instanceof LockstepError) {
      const status = STATUS[err.code] ?? 500;
      if (status >= 500) req.log.error({ err }, 'request failed');
      const message = status >= 500 && err.code !== 'E_UNAVAILABLE' ? 'internal error' : err.message;
      const field = status < 500 ? err.details?.field : undefined;
      return reply
        .code(status)
        .send({ error: { code: err.code, message, ...(typeof field === 'string' ? { field } : {}) } });
    }
    const fe = err as FastifyError;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: { code: 'E_INPUT', message: fe.message, field: 'body' } });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'E_INTERNAL', message: 'internal error' } });
  });
}
