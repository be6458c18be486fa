/**
 * The Qwoty API client: GET requests with a per-request timeout, an overall deadline, and retries with
 * exponential backoff and jitter (p-retry) for the failures worth another try. It checks the envelope and
 * returns `data` as `unknown`; record validation is the caller's (see `fetch-workspace.ts`).
 *
 * Its rooms: the transport and its connection pool (`api-transport.ts`), the retry and 429 policy
 * (`api-retry.ts`), list pages streamed (`api-list-page.ts`), and the envelope and the errors' wording
 * (`api-envelope.ts`); what an answer may cost is `answer-caps.ts`.
 */
import { type AnswerCaps, resolveCaps } from './answer-caps.ts';
import { readData } from './api-envelope.ts';
import { type ListHandlers, readList } from './api-list-page.ts';
import { createRetryPolicy, type RequestOptions, type RetryEvent } from './api-retry.ts';
import { createTransport } from './api-transport.ts';
import type { ListSummary } from './pagination.ts';
import type { RateLimiter } from './rate-limit.ts';

export type { ListHandlers } from './api-list-page.ts';
export { type RequestOptions, RetriesExhaustedError, type RetryEvent } from './api-retry.ts';

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
  /** What one answer may cost (see `answer-caps.ts`); each cap defaults to `DEFAULT_CAPS`. */
  caps?: Partial<AnswerCaps> | undefined;
  /**
   * Paces every request to the API's rate limit (see `rate-limit.ts`). With one, a 429 does not use up a
   * retry: the limiter holds the next attempt for as long as the API asks, and the deadline bounds the wait.
   */
  limiter?: RateLimiter | undefined;
}

export interface QwotyClient {
  /** GET `path` (e.g. `/customers/{id}`) and return the envelope's `data`. */
  get(path: string, query?: Record<string, string | undefined>, options?: RequestOptions): Promise<unknown>;
  /**
   * GET a list (e.g. `/contacts`), all its pages (see `pagination.ts`), and hand each element of `data` to
   * `onItem` as it is parsed from the network, so a workspace-sized response is never held as one string.
   * An element over a cap goes to `onSetAside` instead, without its value. Each attempt at a page starts
   * with `onPage(start)`, `start` being the index of the page's first element: a retried attempt sends the
   * page's elements again, so the caller forgets those from `start` on. Resolves with how the list was read.
   */
  getList(
    path: string,
    query: Record<string, string | undefined>,
    handlers: ListHandlers,
    options?: RequestOptions,
  ): Promise<ListSummary>;
  /** Requests sent (attempts, retries included) and retries made so far. */
  readonly stats: { requests: number; retries: number };
}

/**
 * A client with its own connection pool (idle connections close on their own): nothing is shared between
 * clients, so no test has module state to reset.
 */
export function createQwotyClient(options: QwotyClientOptions): QwotyClient {
  const stats = { requests: 0, retries: 0 };
  const transport = createTransport({ ...options, stats });
  const withRetries = createRetryPolicy({ ...options, stats });
  const caps = resolveCaps(options.caps);
  return {
    stats,
    get(path, query = {}, call = {}) {
      const href = transport.urlOf(path, query);
      return withRetries(href, call, (callSignal) =>
        transport.attempt(
          href,
          (response, where) => readData(response, where, caps, transport.base),
          call,
          callSignal,
        ),
      );
    },
    getList(path, query, handlers, call = {}) {
      return readList({ transport, withRetries, caps }, transport.urlOf(path, query), handlers, call);
    },
  };
}
