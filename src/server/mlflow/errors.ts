import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ApiFailure, classify, HttpError, replyMlflow } from '../errors.ts';

const DOCS = ' See the API docs for more information about request parameters.';

/** Python's name for the type of a JSON value, as MLflow's hints print it. */
function pythonType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  return 'dict';
}

/** `json.dumps(value, sort_keys=True, separators=(",", ":"))`, as MLflow formats a bad value. */
function pythonJson(v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${pythonJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(',')}]`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v) ?? 'null';
}

/** `["metrics", 0, "value"]` → `metrics[0].value`, MLflow's way of naming a nested field. */
function mlflowPath(parts: string[]): string {
  return parts.reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

/**
 * A request that failed its schema, in MLflow's words: "Missing value for
 * required parameter 'name'." or "Invalid value 123 for parameter 'name'
 * supplied: …" (mlflow/server/handlers.py), which clients and tests match on.
 */
function validationFailure(
  err: { validation: { instancePath?: string; keyword?: string; message?: string }[] },
  req: FastifyRequest,
): ApiFailure {
  const where = (err as { validationContext?: string }).validationContext === 'querystring' ? req.query : req.body;
  const parts = (err.validation[0]?.instancePath ?? '/').split('/').filter(Boolean);
  let value: unknown = where;
  for (const p of parts) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
  const path = mlflowPath(parts) || 'body';
  const issue = err.validation[0];
  // a value of the wrong type gets MLflow's type hint; one of the right type but out of bounds says which bound
  const hint =
    issue?.keyword === 'too_big' || issue?.keyword === 'too_small' || issue?.keyword === 'invalid_format'
      ? ` ${issue.message}.`
      : ` Hint: Value was of type '${pythonType(value)}'.`;
  const message =
    value === undefined || value === ''
      ? `Missing value for required parameter '${path}'.${DOCS}`
      : `Invalid value ${pythonJson(value)} for parameter '${path}' supplied: ${hint}${DOCS}`;
  return { status: 400, code: 'E_INPUT', message, extra: { mlflowCode: 'INVALID_PARAMETER_VALUE', field: path } };
}

/**
 * MLflow's error handling for a scope of MLflow routes: its error body
 * (`{ error_code, message }`), its validation messages, and
 * `ENDPOINT_NOT_FOUND` for paths it does not know (clients fall back to older
 * endpoints on that code, and only on that code).
 */
export function installMlflowErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const f = hasZodFastifySchemaValidationErrors(err) ? validationFailure(err, req) : classify(err, req);
    return replyMlflow(reply, f);
  });
  scope.all('/*', { schema: { hide: true } }, async (req) => {
    throw endpointNotFound(req);
  });
}

export function endpointNotFound(req: FastifyRequest): HttpError {
  return new HttpError(404, 'E_NOT_FOUND', `No API endpoint ${req.method} ${req.url.split('?')[0]}`, {
    mlflowCode: 'ENDPOINT_NOT_FOUND',
  });
}
