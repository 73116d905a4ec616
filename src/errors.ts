/**
 * Every error lockstep throws is a {@link LockstepError} with a stable `code`.
 * The CLI maps codes to exit codes and the server maps them to HTTP statuses
 * in one place each; nothing else inspects messages.
 */
export type ErrorCode =
  | 'E_INPUT' // bad input from the caller: a wrong argument, an unknown name
  | 'E_NOT_FOUND' // an experiment, run or file that does not exist
  | 'E_CONFLICT' // a name that already exists or collides after sanitising
  | 'E_VALUE' // a value that cannot be stored (function, symbol, cycle)
  | 'E_CODEC' // stored bytes that cannot be decoded
  | 'E_STORE' // the database refused an operation
  | 'E_SQL' // a user-supplied SQL statement failed
  | 'E_RUN' // a step failed (inside a run)
  | 'E_UNAVAILABLE'; // a backend that cannot be reached

export class LockstepError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LockstepError';
    this.code = code;
    this.details = options.details;
  }
}

export function isLockstepError(e: unknown, code?: ErrorCode): e is LockstepError {
  return e instanceof LockstepError && (code === undefined || e.code === code);
}

/** The message of anything thrown, for summaries and logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
