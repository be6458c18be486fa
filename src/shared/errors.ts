/**
 * One small error family. Every failure a user can meet is a `QwotyError` whose message is one sentence
 * saying what failed and what to do; the entry point prints that and exits with `exitCode`. Anything else
 * is a bug and is printed with its stack.
 */

/** Documented exit codes of `npm run fetch`, `npm run build` and `npm run nightly`. */
export const ExitCode = {
  ok: 0,
  /** A bug: an unexpected error, printed with its stack. */
  unexpected: 1,
  /** Bad configuration: a missing token, a malformed URL or option. */
  config: 2,
  /** The API refused the token (401) or its permission to read contacts (403). */
  auth: 3,
  /** The API could not be reached, or kept failing, after all retries or past the deadline. */
  unavailable: 4,
  /** The data was rejected: too many invalid records, or a publish guard (empty, shrunk) stopped it. */
  rejected: 5,
  /** The local snapshot or site could not be read or written (disk, permissions, missing snapshot). */
  io: 6,
  /** `npm run nightly` only: the snapshot was published but the site build failed; the last good site is kept. */
  build: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A child process's exit status as one of ours: a documented code stays, anything else is a bug (1). */
export function toExitCode(status: number | null): ExitCode {
  return Object.values(ExitCode).find((code) => code === status) ?? ExitCode.unexpected;
}

export class QwotyError extends Error {
  override name = 'QwotyError';
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Invalid configuration (environment, flags). */
export class ConfigError extends QwotyError {
  override name = 'ConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.config, options);
  }
}

/** The API answered but did not give what was asked. `status` is 0 when no HTTP answer arrived. */
export class ApiError extends QwotyError {
  override name = 'ApiError';
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** True for failures worth another try: network errors, timeouts, bad bodies, 408, 429, 5xx. */
  readonly retryable: boolean;
  /** Milliseconds the server asked us to wait (`Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    details: {
      status: number;
      method: string;
      url: string;
      retryable: boolean;
      retryAfterMs?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    const exitCode = details.status === 401 || details.status === 403 ? ExitCode.auth : ExitCode.unavailable;
    super(message, exitCode, options);
    this.status = details.status;
    this.method = details.method;
    this.url = details.url;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The fetched data is not fit to publish (validation threshold, publish guards). */
export class DataRejectedError extends QwotyError {
  override name = 'DataRejectedError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.rejected, options);
  }
}

/** Reading or writing local files failed. */
export class SnapshotIoError extends QwotyError {
  override name = 'SnapshotIoError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.io, options);
  }
}

/** The same failure, its message ending with what the person running the tool can do about it. */
export function withHint(error: ApiError): ApiError {
  const { status, method, url, retryable, retryAfterMs } = error;
  return new ApiError(
    `${error.message}. ${hintFor(error)}`,
    { status, method, url, retryable, retryAfterMs },
    { cause: error },
  );
}

function hintFor(error: ApiError): string {
  if (error.status === 401)
    return 'Check QWOTY_API_TOKEN: it is missing, mistyped, expired or revoked (Qwoty: Settings → Developer → API Tokens).';
  if (error.status === 403)
    return 'The token may not read contacts: give it that permission in Qwoty, or use another token.';
  if (error.status === 404) return 'Check QWOTY_API_URL and QWOTY_CUSTOMER_ID.';
  return 'The last good snapshot is kept; try again later, or raise --retries/--deadline if the API is slow.';
}
