import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, LockstepError } from '../errors.ts';

/** An HTTP-only failure (auth, body size): a status and a stable code, no LockstepError code fits. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const STATUS: Record<ErrorCode, number> = {
  E_INPUT: 400,
  E_VALUE: 400,
  E_SQL: 400,
  E_CODEC: 400,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_UNAVAILABLE: 503,
  E_STORE: 500,
  E_RUN: 500,
};

/** What the funnel decided: status, stable code, a message safe to show, extra fields. */
export interface ApiFailure {
  status: number;
  code: string;
  message: string;
  extra: Record<string, unknown>;
}

/**
 * The one place that turns anything thrown into an HTTP answer. Only
 * LockstepErrors, HttpErrors and Fastify's request errors say what went
 * wrong; anything else is a 500 whose details stay in the server log.
 */
export function classify(err: unknown, req: FastifyRequest): ApiFailure {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issue = err.validation[0];
    const where = (err as { validationContext?: string }).validationContext ?? 'body';
    const path = (issue?.instancePath ?? '/').slice(1).replaceAll('/', '.');
    const field = path ? `${where}.${path}` : where;
    return { status: 400, code: 'E_INPUT', message: `${field}: ${issue?.message ?? 'invalid'}`, extra: { field } };
  }
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, extra: err.extra };
  if (err instanceof LockstepError) {
    const status = STATUS[err.code] ?? 500;
    const extra: Record<string, unknown> = {};
    if (typeof err.details?.position === 'number') extra.position = err.details.position;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return {
      status,
      code: err.code,
      message: status >= 500 && err.code !== 'E_UNAVAILABLE' ? 'internal error' : err.message,
      extra,
    };
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 413 ? 'E_TOO_LARGE' : fe.statusCode === 415 ? 'E_MEDIA_TYPE' : 'E_INPUT';
    return { status: fe.statusCode, code, message: fe.message, extra: { field: 'body' } };
  }
  req.log.error({ err }, 'unexpected error');
  return { status: 500, code: 'E_INTERNAL', message: 'internal error', extra: {} };
}

const MLFLOW_CODES: Record<number, string> = {
  400: 'INVALID_PARAMETER_VALUE',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  409: 'RESOURCE_ALREADY_EXISTS',
  413: 'INVALID_PARAMETER_VALUE',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/** The tracking API (`/api/2.0/mlflow/…`), its artifact proxy (`/api/2.0/mlflow-artifacts/…`) and their /ajax-api twins. */
export function isMlflowPath(url: string): boolean {
  return /^\/(ajax-)?api\/[23]\.0\/mlflow(-artifacts)?(\/|$|\?)/.test(url);
}

/** MLflow's error body, `{ error_code, message }`, with the status MLflow gives that code. */
export function replyMlflow(reply: FastifyReply, f: ApiFailure) {
  const mlflowCode =
    (f.extra.mlflowCode as string | undefined) ??
    MLFLOW_CODES[f.status] ??
    (f.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
  // MLflow answers RESOURCE_ALREADY_EXISTS with 400, and its clients expect it
  const status = f.status === 409 ? 400 : f.status;
  return reply.code(status).send({ error_code: mlflowCode, message: f.message });
}

/** Installs the funnel: the native API answers `{ error: {…} }`, the MLflow API `{ error_code, message }`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const f = classify(err, req);
    if (isMlflowPath(req.url)) return replyMlflow(reply, f);
    const { mlflowCode: _, ...extra } = f.extra;
    return reply.code(f.status).send({ error: { code: f.code, message: f.message, ...extra } });
  });
}
