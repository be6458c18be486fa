/**
 * The client's transport: one GET attempt on undici's `request()`, after a turn from the rate limiter, with
 * its own timeout and the run's deadline, and the connection pool it goes through. Failures come out as
 * `ApiError`s (retryable for the network and the timeout) or, for a deadline or a cancelled call, as final.
 */
import { STATUS_CODES } from 'node:http';
import { Agent, type Dispatcher, interceptors, request } from 'undici';
import { ApiError, ConfigError, QwotyError } from '../shared/errors.ts';
import { deadlineError, final, type RequestOptions } from './api-retry.ts';
import { isLoopback, withoutTrailingSlashes } from './api-url.ts';
import type { Permit, RateLimiter } from './rate-limit.ts';

/** What the client reads of an HTTP answer. */
export interface Answer {
  readonly status: number;
  /** The standard reason phrase of the status ("Not Found"), or ''. */
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  readonly body: AsyncIterable<Uint8Array>;
  /** Frees the connection if the body was not read to its end. */
  release(): void;
}

/** The request an answer came from, as errors name it. */
export type Where = { method: string; url: string };

export interface TransportOptions {
  /** Base URL such as `https://qwoty.app/api`; trailing slashes are dropped. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; never logged or put in an error. */
  token: string;
  /** Per attempt, reading the whole body included. Default 120 s. */
  timeoutMs?: number | undefined;
  /** The run's overall deadline. */
  signal?: AbortSignal | undefined;
  userAgent?: string | undefined;
  limiter?: RateLimiter | undefined;
  /** Counts the requests sent. */
  stats: { requests: number };
}

export interface Transport {
  /** The base URL, with one trailing slash. */
  readonly base: URL;
  /** The absolute URL of `path` (relative to the base) with the defined parts of `query`. */
  urlOf(path: string, query: Record<string, string | undefined>): string;
  /** One attempt: a turn from the limiter, the request, then `read` on its response. */
  attempt<T>(
    url: string,
    read: (response: Answer, where: Where) => Promise<T>,
    call: RequestOptions,
    callSignal: AbortSignal | undefined,
  ): Promise<T>;
}

export function createTransport(options: TransportOptions): Transport {
  const {
    token,
    timeoutMs = 120_000,
    signal,
    userAgent = 'qwoty-contacts-directory',
    limiter,
    stats,
  } = options;
  if (!token) throw new ConfigError('Expected `token` to be a non-empty string.');
  if (!(timeoutMs > 0)) throw new ConfigError('Expected `timeoutMs` to be a positive number.');
  const base = apiBase(options.baseUrl);
  const headers = {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    'user-agent': userAgent,
  };
  const dispatcher = createDispatcher();

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
      throw final(signal?.aborted ? deadlineError(where, error) : error);
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
      response = await send(dispatcher, url, headers, controller.signal);
      permit?.answered(response.status, response.headers);
      return await read(response, where);
    } catch (error) {
      // Our own failures (a status, a cap, a partial list, a redirect) are already what to report.
      if (error instanceof QwotyError) throw error;
      if (signal?.aborted) throw final(deadlineError(where, error));
      if (callSignal?.aborted) throw final(callSignal.reason);
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

  return {
    base,
    urlOf(path, query) {
      const url = new URL(path.replace(/^\/+/, ''), base);
      for (const [key, value] of Object.entries(query))
        if (value !== undefined) url.searchParams.set(key, value);
      return url.href;
    },
    attempt,
  };
}

/** `baseUrl` with one trailing slash, refused unless it is https or names this machine. */
function apiBase(baseUrl: string): URL {
  const base = new URL(`${withoutTrailingSlashes(baseUrl)}/`);
  if (base.protocol !== 'https:' && !isLoopback(base)) {
    throw new ConfigError(
      'Expected `baseUrl` to use https: the token must not cross a network in clear text.',
    );
  }
  return base;
}

/**
 * A connection pool, one per client: undici's `request` on keep-alive connections, with gzip, deflate and
 * brotli answers decoded as they stream. Redirects are not followed (the answer names where to): the token is
 * only ever sent to QWOTY_API_URL. Idle connections close on their own (undici's keep-alive timeout).
 *
 * Why not the global `fetch` (which is undici too): its WHATWG streams and Response objects cost about
 * 200 µs of CPU per request here, against about 60 µs for `request`. A workspace of 12,500 customers takes
 * 12,500 look-ups: 2.4 s against 0.8 s on the embedded API, on the same thread that parses the contacts.
 *
 * Error answers are decoded too: their envelope says what went wrong. undici's own header and body timeouts
 * are off: each attempt has its own timeout (`timeoutMs`).
 */
export function createDispatcher(): Dispatcher {
  return new Agent({ headersTimeout: 0, bodyTimeout: 0 }).compose(
    interceptors.decompress({ skipErrorResponses: false }),
  );
}

async function send(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Answer> {
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
    release() {
      if (!body.readableEnded) body.destroy();
    },
  };
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
