/**
 * One small error family. Every failure a user can meet is a `QwotyError` whose message is one sentence
 * saying what failed and what to do; the entry point prints that and exits with `exitCode`. Anything else
 * is a bug and is printed with its stack.
 */

/** One row of the exit-code table. */
interface ExitCodeRow {
  readonly code: number;
  /** The key of `ExitCode`. */
  readonly name: string;
  /** A few words for a command's `--help`, which may say it its own way (see `ExitCodeUse`). */
  readonly short: string;
  /** What happened, for the README. */
  readonly meaning: string;
  /** What to do about it, for the README. */
  readonly advice: string;
}

/**
 * Every exit code of `npm run fetch`, `build`, `nightly` and `rollback`, once: `ExitCode`, the exit codes in each
 * command's help (`formatExitCodes`) and the README's table (`formatExitCodeTable`, by `npm run docs`) all come
 * from here.
 */
export const EXIT_CODES = [
  {
    code: 0,
    name: 'ok',
    short: 'done',
    meaning: 'published (and, for `nightly`, site built)',
    advice: '',
  },
  {
    code: 1,
    name: 'unexpected',
    short: 'bug',
    meaning: 'a bug: printed with its stack',
    advice: 'report it',
  },
  {
    code: 2,
    name: 'config',
    short: 'bad configuration',
    meaning: 'bad configuration, or the API redirected',
    advice: 'the message names the setting, or the `QWOTY_API_URL` to set',
  },
  {
    code: 3,
    name: 'auth',
    short: 'token refused',
    meaning: 'the API refused the token (401) or its permission to read contacts (403)',
    advice: 'check the token and its permissions',
  },
  {
    code: 4,
    name: 'unavailable',
    short: 'API unavailable',
    meaning: 'the API was unavailable after all retries, or past the deadline',
    advice: 'try later; raise `--retries`/`--deadline`',
  },
  {
    code: 5,
    name: 'rejected',
    short: 'data rejected (validation or publish guard)',
    meaning:
      'data rejected: too many invalid records, a publish guard (empty, shrunk), a partial list that cannot be followed, or an answer over a cap',
    advice:
      "see `rejects-of-failed-run.json`; `--max-invalid`, `--allow-shrink`; the message names the cap's setting",
  },
  {
    code: 6,
    name: 'io',
    short: 'local files unreadable/unwritable',
    meaning:
      'local files: the snapshot could not be written, or the site found none or a damaged one; or another run holds the data folder',
    advice: 'the message says which file, or which run (process, host, start time)',
  },
  {
    code: 7,
    name: 'build',
    short: 'the snapshot was published but the site build failed (the last good site is kept)',
    meaning:
      '`nightly` only: the snapshot was published but the site build failed; the last good site is kept',
    advice: 'the message names the signal if one killed the build, and gives its last lines',
  },
] as const satisfies readonly ExitCodeRow[];

export type ExitCodeName = (typeof EXIT_CODES)[number]['name'];

/** The exit codes by name (`ExitCode.config` is 2), from `EXIT_CODES`. */
export const ExitCode = byName(EXIT_CODES);
export type ExitCode = (typeof EXIT_CODES)[number]['code'];

function byName<const Rows extends readonly ExitCodeRow[]>(
  rows: Rows,
): { readonly [Row in Rows[number] as Row['name']]: Row['code'] } {
  // Object.fromEntries loses the pairing of each name with its code, which the return type restores.
  return Object.fromEntries(rows.map((row) => [row.name, row.code])) as {
    readonly [Row in Rows[number] as Row['name']]: Row['code'];
  };
}

/**
 * The exit codes a command can end with, in the order its help lists them: `true` for the table's wording, or
 * what the code means for that command (`ok: 'built'`).
 */
export type ExitCodeUse = Readonly<Partial<Record<ExitCodeName, true | string>>>;

/** A help's exit-code line, e.g. "Exit codes: 0 built, 2 bad configuration, 1 bug.", wrapped at `width`. */
export function formatExitCodes(use: ExitCodeUse, width = 110): string {
  const parts = Object.entries(use).map(([name, wording]) => {
    const row = EXIT_CODES.find((candidate) => candidate.name === name);
    if (!row) throw new Error(`Expected an exit code name of EXIT_CODES, got ${name}`);
    return `${row.code} ${wording === true ? row.short : wording}`;
  });
  return wrap(`Exit codes: ${parts.join(', ')}.`, width);
}

/** The README's exit-code table (`npm run docs`). */
export function formatExitCodeTable(): string {
  return [
    '| code | meaning | what to do |',
    '|---|---|---|',
    ...EXIT_CODES.map((row) => `| ${row.code} | ${row.meaning} | ${row.advice} |`.replace(/ {2}\|$/, ' |')),
  ].join('\n');
}

/** `text` on lines of at most `width` characters, broken between words. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

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
