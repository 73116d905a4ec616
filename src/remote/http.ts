import { type ErrorCode, LockstepError } from '../errors.ts';

export interface HttpOptions {
  /** Bearer token (else `LOCKSTEP_TOKEN`). */
  token?: string | undefined;
  /** Attempts after the first one when the server cannot be reached (default 3). */
  retries?: number;
  /** First backoff delay; doubled after each attempt (default 200 ms). */
  backoffMs?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

const CODES = new Set<string>([
  'E_INPUT',
  'E_NOT_FOUND',
  'E_CONFLICT',
  'E_VALUE',
  'E_CODEC',
  'E_STORE',
  'E_SQL',
  'E_RUN',
  'E_UNAVAILABLE',
]);
const RETRY_STATUS = new Set([502, 503, 504]);

/** True when a request failed because nothing answered (as opposed to an answer saying no). */
export function isUnreachable(e: unknown): boolean {
  return e instanceof LockstepError && e.code === 'E_UNAVAILABLE';
}

/**
 * JSON over HTTP to a lockstep server, with retries and exponential backoff
 * for connection failures and 502/503/504. Errors the server sends come back
 * as LockstepErrors with the server's code.
 */
export class HttpClient {
  readonly base: string;
  private readonly token: string | undefined;

  constructor(
    base: string,
    private readonly options: HttpOptions = {},
  ) {
    this.base = base.replace(/\/+$/, '');
    this.token = options.token ?? process.env.LOCKSTEP_TOKEN ?? undefined;
  }

  async request<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const retries = this.options.retries ?? 3;
    let delay = this.options.backoffMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch (e) {
        if (attempt < retries) {
          await sleep(delay);
          delay *= 2;
          continue;
        }
        throw new LockstepError('E_UNAVAILABLE', `cannot reach the lockstep server at ${this.base}: ${cause(e)}`, {
          cause: e,
        });
      }
      if (RETRY_STATUS.has(res.status) && attempt < retries) {
        await res.body?.cancel();
        await sleep(delay);
        delay *= 2;
        continue;
      }
      const text = await res.text();
      const json = text ? safeJson(text) : {};
      if (res.ok) return json as T;
      throw toError(res.status, json, this.base);
    }
  }
}

function toError(status: number, json: unknown, base: string): LockstepError {
  const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  const message = err?.message ?? `the server answered ${status}`;
  if (status === 401 || status === 403)
    return new LockstepError(
      'E_INPUT',
      `${base} refused the request: ${message} (set the token with { token } or LOCKSTEP_TOKEN)`,
    );
  if (RETRY_STATUS.has(status)) return new LockstepError('E_UNAVAILABLE', `${base}: ${message}`);
  const code = (err?.code && CODES.has(err.code) ? err.code : status >= 500 ? 'E_STORE' : 'E_INPUT') as ErrorCode;
  return new LockstepError(code, message, { details: { status, ...(err ?? {}) } });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

function cause(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (e as Error).message ?? String(e);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
