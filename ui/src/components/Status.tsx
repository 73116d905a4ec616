// Visible loading and error states: nothing waits silently.
import { ApiError } from '../api/client.ts';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  if (error instanceof ApiError && error.status === 401) {
    // the token (cookie) is gone or changed: a page load gets the server's sign-in form
    return (
      <div className="error-box" role="alert">
        <strong>Signed out</strong>: this server needs a token.{' '}
        <a href={window.location.pathname + window.location.search}>Sign in</a>
      </div>
    );
  }
  const code = error instanceof ApiError ? error.code : error.name;
  const status = error instanceof ApiError && error.status ? ` (HTTP ${error.status})` : '';
  return (
    <div className="error-box" role="alert">
      <strong>
        {code}
        {status}
      </strong>
      : {error.message}
      {retry && (
        <button type="button" className="link-button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function StatusBadge({ status, title }: { status: string; title?: string }) {
  return (
    <span className={`badge badge-${status}`} title={title}>
      {status}
    </span>
  );
}
