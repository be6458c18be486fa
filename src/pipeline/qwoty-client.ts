/**
 * The Qwoty API client: GET requests with a per-request timeout, an overall deadline, and retries with
 * exponential backoff and jitter (p-retry) for the failures worth another try. It checks the envelope and
 * returns `data` as `unknown`; record validation is the caller's (see `fetch-workspace.ts`).
 */
import { STATUS_CODES } from 'node:http';
import pRetry, { AbortError } from 'p-retry';
import { Agent, interceptors, request } from 'undici';
import { ApiError, ConfigError } from '../shared/errors.ts';
import { FailureEnvelopeSchema, SuccessEnvelopeSchema } from '../shared/schema.ts';
import { type JsonListResult, JsonListStream, JsonListSyntaxError } from './json-list-stream.ts';
import { type Permit, parseRetryAfter, type RateLimiter } from './rate-limit.ts';

export { parseRetryAfter } from './rate-limit.ts';

export interface QwotyClientOptions {
  /** Base URL such as `https://qwoty.app/api`, without a trailing slash. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; never logged or put in an error. */
  token: string;
  /** Per attempt, reading the whole body included. Default 120 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 6. */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  minRetryDelayMs?: number;
  /** Longest backoff delay, and the longest `Retry-After` honoured. Default 60 s. */
  maxRetryDelayMs?: number;
  /** Aborts every request and wait when it fires: the run's overall deadline. */
  signal?: AbortSignal;
  /** Told about every failed attempt that will be retried. */
  onRetry?: (event: RetryEvent) => void;
  userAgent?: string;
  /**
   * Paces every request to the API's rate limit (see `rate-limit.ts`). With one, a 429 does not use up a
   * retry: the limiter holds the next attempt for as long as the API asks, and the deadline bounds the wait.
   */
  limiter?: RateLimiter | undefined;
}

/** Options of one call. */
export interface RequestOptions {
  /** Stops this call (its waits, retries and request) when it aborts; it then rejects with the reason. */
  signal?: AbortSignal | undefined;
  /** Give up at once when the rate limit allows no request before this time (ms since the epoch). */
  notAfter?: number | undefined;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  error: ApiError;
  /** How long we wait before the next attempt. */
  delayMs: number;
}

export interface QwotyClient {
  /** GET `path` (e.g. `/customers/{id}`) and return the envelope's `data`. */
  get(path: string, query?: Record<string, string | undefined>, options?: RequestOptions): Promise<unknown>;
  /**
   * GET a list (e.g. `/contacts`) and hand each element of `data` to `onItem` as it is parsed from the
   * network, so a workspace-sized response is never held as one string. Each attempt starts with
   * `onAttempt`: a retried attempt sends the elements again, so the caller starts over there. Resolves with
   * the number of elements.
   */
  getList(
    path: string,
    query: Record<string, string | undefined>,
    handlers: { onAttempt: () => void; onItem: (item: unknown, index: number) => void },
    options?: RequestOptions,
  ): Promise<number>;
  /** Requests sent (attempts, retries included) and retries made so far. */
  readonly stats: { requests: number; retries: number };
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A failure worth retrying (network, timeout, 429, 5xx, a bad body) that went on past every retry. */
export class RetriesExhaustedError extends ApiError {
  override name = 'RetriesExhaustedError';
}

export function createQwotyClient(options: QwotyClientOptions): QwotyClient {
  const {
    baseUrl,
    token,
    timeoutMs = 120_000,
    retries = 6,
    minRetryDelayMs = 500,
    maxRetryDelayMs = 60_000,
    signal,
    onRetry,
    userAgent = 'qwoty-contacts-directory',
    limiter,
  } = options;
  if (!token) throw new ConfigError('Expected `token` to be a non-empty string.');
  if (!Number.isInteger(retries) || retries < 0)
    throw new ConfigError('Expected `retries` to be a non-negative integer.');
  if (!(timeoutMs > 0)) throw new ConfigError('Expected `timeoutMs` to be a positive number.');
  const base = new URL(`${baseUrl.replace(/\/+$/, '')}/`);
  const headers = {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    'user-agent': userAgent,
  };
  const stats = { requests: 0, retries: 0 };

  /** One attempt: a turn from the limiter, the request, then `read` on its response; failures become `ApiError`s. */
  async function attempt<T>(
    url: string,
    read: (response: Answer, where: Where) => Promise<T>,
    call: RequestOptions,
    callSignal: AbortSignal | undefined,
  ): Promise<T> {
    const where = { method: 'GET', url };
    let permit: Permit | undefined;
    try {
      permit = await limiter?.acquire({ signal: callSignal, notAfter: call.notAfter });
    } catch (error) {
      if (signal?.aborted) throw new AbortError(deadlineError(where, error));
      throw new AbortError(error instanceof Error ? error : new Error(String(error)));
    }
    stats.requests += 1;
    // One controller per attempt, unlinked when it ends: AbortSignal.any() and AbortSignal.timeout() on the
    // run's long-lived signal kept every one of 12,500 look-ups alive and cost seconds of CPU.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onDeadline = () => controller.abort();
    callSignal?.addEventListener('abort', onDeadline, { once: true });
    let response: Answer | undefined;
    try {
      response = await send(url, headers, controller.signal);
      permit?.answered(response.status, response.headers);
      return await read(response, where);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (signal?.aborted) throw new AbortError(deadlineError(where, error));
      if (callSignal?.aborted) throw new AbortError(asError(callSignal.reason));
      throw new ApiError(
        timedOut
          ? `GET ${url} did not answer within ${formatSeconds(timeoutMs)}`
          : `GET ${url} failed: ${describeNetworkError(error)}`,
        { ...where, status: 0, retryable: true },
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      callSignal?.removeEventListener('abort', onDeadline);
      // A body left unread would keep its connection busy.
      response?.release();
      permit?.release();
    }
  }

  function urlOf(path: string, query: Record<string, string | undefined>): string {
    const url = new URL(path.replace(/^\/+/, ''), base);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    return url.href;
  }

  async function withRetries<T>(
    href: string,
    call: RequestOptions,
    run: (callSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    let lastError: ApiError | undefined;
    const linked = linkSignals(signal, call.signal);
    const throttled = (error: unknown) =>
      limiter !== undefined && error instanceof ApiError && error.status === 429;
    try {
      return await pRetry(() => run(linked.signal), {
        retries,
        factor: 2,
        minTimeout: minRetryDelayMs,
        maxTimeout: maxRetryDelayMs,
        randomize: true,
        ...(linked.signal ? { signal: linked.signal } : {}),
        shouldRetry: ({ error }) => error instanceof ApiError && error.retryable,
        // A 429 is the limiter's to pace: it holds the next attempt as long as the API asks.
        shouldConsumeRetry: ({ error }) => !throttled(error),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (!(error instanceof ApiError)) return;
          lastError = error;
          if (!error.retryable || retriesLeft === 0) return;
          stats.retries += 1;
          if (limiter && throttled(error)) {
            const delayMs = Math.max(0, limiter.resumesAt - Date.now());
            onRetry?.({ method: 'GET', url: href, attempt: attemptNumber, error, delayMs });
            return;
          }
          // p-retry waits `retryDelay` after this callback; wait the rest of what the server asked for.
          const asked = Math.min(error.retryAfterMs ?? 0, maxRetryDelayMs);
          const extra = Math.max(0, asked - retryDelay);
          onRetry?.({ method: 'GET', url: href, attempt: attemptNumber, error, delayMs: retryDelay + extra });
          if (extra > 0) await sleep(extra, linked.signal);
        },
      });
    } catch (error) {
      if (signal?.aborted) throw deadlineError({ method: 'GET', url: href }, lastError ?? error);
      if (call.signal?.aborted) throw asError(call.signal.reason);
      if (error instanceof ApiError && error.retryable) {
        throw new RetriesExhaustedError(
          `${error.message} (gave up after ${retries + 1} attempts)`,
          { status: error.status, method: error.method, url: error.url, retryable: false },
          { cause: error },
        );
      }
      throw error;
    } finally {
      linked.dispose();
    }
  }

  return {
    stats,
    get(path, query = {}, call = {}) {
      const href = urlOf(path, query);
      return withRetries(href, call, (callSignal) =>
        attempt(
          href,
          async (response, where) => readEnvelope(response, await response.text(), where),
          call,
          callSignal,
        ),
      );
    },
    getList(path, query, { onAttempt, onItem }, call = {}) {
      const href = urlOf(path, query);
      return withRetries(href, call, (callSignal) =>
        attempt(
          href,
          (response, where) => {
            onAttempt();
            return readListEnvelope(response, where, onItem);
          },
          call,
          callSignal,
        ),
      );
    },
  };
}

/**
 * The run's signal and a call's own as one, unlinked by `dispose` (not `AbortSignal.any`, which keeps every
 * call's signal alive as long as the run's: see `attempt`).
 */
function linkSignals(
  run: AbortSignal | undefined,
  call: AbortSignal | undefined,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!call || !run) return { signal: call ?? run, dispose: () => {} };
  const controller = new AbortController();
  const abort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  if (run.aborted || call.aborted) controller.abort(run.aborted ? run.reason : call.reason);
  run.addEventListener('abort', abort, { once: true });
  call.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      run.removeEventListener('abort', abort);
      call.removeEventListener('abort', abort);
    },
  };
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

type Where = { method: string; url: string };

/**
 * A streamed list is validated this many bytes at a time, with a turn of the event loop in between, so the
 * customer look-ups' answers are handled while the contacts stream. Without it, a server that sends faster
 * than records are validated keeps the body's buffer full, the loop reads on in microtasks with 128 kB chunks,
 * and the look-ups crawl until the list ends: at 100,000 contacts, 10-20% of them were done when the contacts
 * were, against 70-90% with 16 kB slices, and the look-ups left over took 2.5 s instead of under one.
 */
const LIST_SLICE_BYTES = 16 * 1024;

/** What the client reads of an HTTP answer. */
interface Answer {
  readonly status: number;
  /** The standard reason phrase of the status ("Not Found"), or ''. */
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  readonly body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** Frees the connection if the body was not read to its end. */
  release(): void;
}

/**
 * The connection pool every client shares: undici's `request` on keep-alive connections, with gzip, deflate
 * and brotli answers decoded as they stream. Redirects are not followed (the answer names where to): the
 * token is only ever sent to QWOTY_API_URL.
 *
 * Why not the global `fetch` (which is undici too): its WHATWG streams and Response objects cost about
 * 200 µs of CPU per request here, against about 60 µs for `request`. A workspace of 12,500 customers takes
 * 12,500 look-ups: 2.4 s against 0.8 s on the embedded API, on the same thread that parses the contacts.
 *
 * Error answers are decoded too: their envelope says what went wrong. undici's own header and body timeouts
 * are off: each attempt has its own timeout (`timeoutMs`).
 */
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 }).compose(
  interceptors.decompress({ skipErrorResponses: false }),
);

async function send(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Answer> {
  const {
    statusCode,
    headers: raw,
    body,
  } = await request(url, { method: 'GET', headers, signal, dispatcher });
  return {
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? '',
    headers: {
      get(name) {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body,
    text: () => body.text(),
    release() {
      if (!body.readableEnded) body.destroy();
    },
  };
}

/**
 * Streams a successful list answer: each element of `data` goes to `onItem` as soon as it is parsed. Anything
 * else (an error status, a body that is not JSON) is read whole and judged by `readEnvelope`.
 */
async function readListEnvelope(
  response: Answer,
  where: Where,
  onItem: (item: unknown, index: number) => void,
): Promise<number> {
  const contentType = response.headers.get('content-type') ?? '';
  if (!isSuccess(response.status) || !/json/i.test(contentType)) {
    const data = readEnvelope(response, await response.text(), where);
    if (!Array.isArray(data)) throw notAList(where, response.status);
    data.forEach(onItem);
    return data.length;
  }
  const list = new JsonListStream({ members: ['success', 'error'], onItem });
  let result: JsonListResult;
  try {
    for await (const chunk of response.body) {
      for (let start = 0; start < chunk.length; start += LIST_SLICE_BYTES) {
        list.write(chunk.subarray(start, start + LIST_SLICE_BYTES));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    result = list.end();
  } catch (cause) {
    if (!(cause instanceof JsonListSyntaxError)) throw cause;
    const problem = cause.cutShort ? 'a body cut short' : 'a body that is not valid JSON';
    throw new ApiError(
      `${where.method} ${where.url} answered ${response.status} with ${problem}`,
      { ...where, status: response.status, retryable: true },
      { cause },
    );
  }
  const success = result.members.get('success');
  const error = result.members.get('error');
  if (success === false) {
    throw new ApiError(
      `${where.method} ${where.url} answered ${response.status} but reported a failure: ${typeof error === 'string' ? error : 'no message'}`,
      { ...where, status: response.status, retryable: false },
    );
  }
  if (success !== true) {
    throw new ApiError(
      `${where.method} ${where.url} answered ${response.status} without the {"success": true, "data": …} envelope`,
      {
        ...where,
        status: response.status,
        retryable: false,
      },
    );
  }
  if (result.notArray) throw notAList(where, response.status);
  return result.count;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function notAList(where: Where, status: number): ApiError {
  return new ApiError(`${where.method} ${where.url} answered ${status} with a "data" that is not a list`, {
    ...where,
    status,
    retryable: false,
  });
}

/** Checks status and envelope; returns `data` or throws an `ApiError` that says whether to retry. */
function readEnvelope(response: Answer, body: string, where: Where): unknown {
  const { status } = response;
  const contentType = response.headers.get('content-type') ?? '';
  let json: unknown;
  let parsed = false;
  try {
    json = JSON.parse(body);
    parsed = true;
  } catch {
    // Judged below, with the status.
  }
  if (!isSuccess(status)) {
    const retryable = RETRYABLE_STATUS.has(status);
    const failure = parsed ? FailureEnvelopeSchema.safeParse(json) : undefined;
    const message = failure?.success ? failure.data.error : undefined;
    const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
    const said = location
      ? ` (redirected to ${location}: set QWOTY_API_URL to the address it should use)`
      : message
        ? `: ${message}`
        : parsed
          ? ''
          : describeBody(body, contentType);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new ApiError(`${where.method} ${where.url} answered ${status}${statusText(response)}${said}`, {
      ...where,
      status,
      retryable,
      retryAfterMs,
    });
  }
  if (!parsed) {
    // A 200 that is not JSON: a proxy's HTML page, or a body cut short. Both may pass on another try.
    throw new ApiError(
      `${where.method} ${where.url} answered ${status} with a body that is not JSON${describeBody(body, contentType)}`,
      {
        ...where,
        status,
        retryable: true,
      },
    );
  }
  const success = SuccessEnvelopeSchema.safeParse(json);
  if (success.success) return success.data.data;
  const failure = FailureEnvelopeSchema.safeParse(json);
  if (failure.success) {
    throw new ApiError(
      `${where.method} ${where.url} answered ${status} but reported a failure: ${failure.data.error ?? 'no message'}`,
      { ...where, status, retryable: false },
    );
  }
  throw new ApiError(
    `${where.method} ${where.url} answered ${status} without the {"success": true, "data": …} envelope`,
    { ...where, status, retryable: false },
  );
}

function deadlineError(where: { method: string; url: string }, cause: unknown): ApiError {
  return new ApiError(
    `${where.method} ${where.url} was still failing when the run's deadline passed`,
    { ...where, status: cause instanceof ApiError ? cause.status : 0, retryable: false },
    { cause },
  );
}

function statusText(response: Answer): string {
  return response.statusText ? ` ${response.statusText}` : '';
}

function describeBody(body: string, contentType: string): string {
  if (/html/i.test(contentType) || /^\s*</.test(body)) {
    const title = /<title[^>]*>([^<]{0,120})/i.exec(body)?.[1]?.trim();
    return title ? ` (an HTML page: "${title}")` : ' (an HTML page)';
  }
  if (body.length === 0) return ' (an empty body)';
  return ` (${body.length} bytes starting ${JSON.stringify(body.slice(0, 40))})`;
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
