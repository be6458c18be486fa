/**
 * The client's retry and 429 policy: which failures are worth another try, exponential backoff with jitter
 * (p-retry), `Retry-After` honoured up to the longest backoff, and a 429 left to the rate limiter to pace
 * when there is one. Every wait and attempt stops at the run's deadline or the call's own signal.
 */
import pRetry, { AbortError } from 'p-retry';
import { ApiError, ConfigError } from '../shared/errors.ts';
import type { RateLimiter } from './rate-limit.ts';

/** Statuses worth another try: the server was busy, slow or briefly broken. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** A failure worth retrying (network, timeout, 429, 5xx, a bad body) that went on past every retry. */
export class RetriesExhaustedError extends ApiError {
  override name = 'RetriesExhaustedError';
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

/** Options of one call. */
export interface RequestOptions {
  /** Stops this call (its waits, retries and request) when it aborts; it then rejects with the reason. */
  signal?: AbortSignal | undefined;
  /** Give up at once when the rate limit allows no request before this time (ms since the epoch). */
  notAfter?: number | undefined;
}

export interface RetryPolicyOptions {
  /** Retries after the first attempt. Default 6. */
  retries?: number | undefined;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  minRetryDelayMs?: number | undefined;
  /** Longest backoff delay, and the longest `Retry-After` honoured. Default 60 s. */
  maxRetryDelayMs?: number | undefined;
  /** The run's overall deadline. */
  signal?: AbortSignal | undefined;
  /** Told about every failed attempt that will be retried. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** With one, a 429 does not use up a retry: the limiter paces the next attempt. */
  limiter?: RateLimiter | undefined;
  /** Counts the retries made. */
  stats: { retries: number };
}

/** Runs `run` (one attempt, given the signal that stops it) until it succeeds or the policy gives up. */
export type WithRetries = <T>(
  href: string,
  call: RequestOptions,
  run: (callSignal: AbortSignal | undefined) => Promise<T>,
) => Promise<T>;

export function createRetryPolicy(options: RetryPolicyOptions): WithRetries {
  const { retries = 6, minRetryDelayMs = 500, maxRetryDelayMs = 60_000, signal, onRetry, limiter } = options;
  if (!Number.isInteger(retries) || retries < 0)
    throw new ConfigError('Expected `retries` to be a non-negative integer.');
  const { stats } = options;
  const throttled = (error: unknown) =>
    limiter !== undefined && error instanceof ApiError && error.status === 429;

  /** After a failed attempt that will be retried: tell `onRetry`, and wait what the server asked beyond the backoff. */
  async function beforeRetry(
    href: string,
    error: ApiError,
    attempt: number,
    retryDelay: number,
    wait?: AbortSignal,
  ) {
    stats.retries += 1;
    if (limiter && throttled(error)) {
      const delayMs = Math.max(0, limiter.resumesAt - Date.now());
      onRetry?.({ method: 'GET', url: href, attempt, error, delayMs });
      return;
    }
    // p-retry waits `retryDelay` after this callback; wait the rest of what the server asked for.
    const asked = Math.min(error.retryAfterMs ?? 0, maxRetryDelayMs);
    const extra = Math.max(0, asked - retryDelay);
    onRetry?.({ method: 'GET', url: href, attempt, error, delayMs: retryDelay + extra });
    if (extra > 0) await sleep(extra, wait);
  }

  const withRetries: WithRetries = async (href, call, run) => {
    let lastError: ApiError | undefined;
    const linked = linkSignals(signal, call.signal);
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
          await beforeRetry(href, error, attemptNumber, retryDelay, linked.signal);
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
  };
  return withRetries;
}

/** `error` as the last word of its call: the policy rejects with it at once, without another try. */
export function final(error: unknown): AbortError {
  return new AbortError(error instanceof Error ? error : new Error(String(error)));
}

export function deadlineError(where: { method: string; url: string }, cause: unknown): ApiError {
  return new ApiError(
    `${where.method} ${where.url} was still failing when the run's deadline passed`,
    { ...where, status: cause instanceof ApiError ? cause.status : 0, retryable: false },
    { cause },
  );
}

export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * The run's signal and a call's own as one, unlinked by `dispose` (not `AbortSignal.any`, which keeps every
 * call's signal alive as long as the run's: see `api-transport.ts`).
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
