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
