// Every request the UI makes goes through `api`: one place that turns the
// server's `{ error: { code, message, position } }` into a thrown ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Character offset of a filter or SQL syntax error, when the server gives one. */
    readonly position?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'E_NETWORK', `cannot reach the server (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(res.status, 'E_RESPONSE', `the server answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; position?: number } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText, err?.position);
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>('GET', withQuery(path, query), undefined, signal),
  post: <T>(path: string, body: unknown, signal?: AbortSignal) => request<T>('POST', path, body, signal),
  experiment: (name: string) => `/api/v1/experiments/${enc(name)}`,
  run: (name: string, runId: string) => `/api/v1/experiments/${enc(name)}/runs/${enc(runId)}`,
  metric: (name: string, runId: string, key: string) =>
    `/api/v1/experiments/${enc(name)}/runs/${enc(runId)}/metrics/${enc(key)}`,
};
