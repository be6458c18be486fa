/**
 * The Qwoty API client: GET requests with a per-request timeout, an overall deadline, and retries with
 * exponential backoff and jitter (p-retry) for the failures worth another try. It checks the envelope and
 * returns `data` as `unknown`; record validation is the caller's (see `fetch-workspace.ts`).
 */
import { STATUS_CODES } from 'node:http';
import pRetry, { AbortError } from 'p-retry';
import { Agent, interceptors, request } from 'undici';
import { ApiError, ConfigError, QwotyError } from '../shared/errors.ts';
import { FailureEnvelopeSchema, SuccessEnvelopeSchema } from '../shared/schema/api.ts';
import {
  AnswerCapError,
  type AnswerCaps,
  type CapName,
  DEFAULT_CAPS,
  describeCap,
  isDeeperThan,
  readCapped,
} from './answer-caps.ts';
import { isLoopback, withoutTrailingSlashes } from './api-url.ts';
import {
  JsonListLimitError,
  type JsonListResult,
  JsonListStream,
  JsonListSyntaxError,
  type SetAside,
} from './json-list-stream.ts';
import { createPaginator, type ListSummary, type PageFacts, pageFingerprint } from './pagination.ts';
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
  /** What one answer may cost (see `answer-caps.ts`); each cap defaults to `DEFAULT_CAPS`. */
  caps?: Partial<AnswerCaps> | undefined;
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

export interface ListHandlers {
  onPage: (start: number) => void;
  onItem: (item: unknown, index: number) => void;
  onSetAside?: ((index: number, setAside: SetAside & { reason: string }) => void) | undefined;
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
  const base = new URL(`${withoutTrailingSlashes(baseUrl)}/`);
  if (base.protocol !== 'https:' && !isLoopback(base)) {
    throw new ConfigError(
      'Expected `baseUrl` to use https: the token must not cross a network in clear text.',
    );
  }
  const caps: AnswerCaps = { ...DEFAULT_CAPS, ...definedOnly(options.caps ?? {}) };
  for (const [name, value] of Object.entries(caps)) {
    if (!(Number.isInteger(value) && value > 0))
      throw new ConfigError(`Expected \`caps.${name}\` to be a positive integer.`);
  }
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
      // Our own failures (a status, a cap, a partial list, a redirect) are already what to report.
      if (error instanceof QwotyError) throw error;
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
          async (response, where) => {
            const { text, over } = await readCapped(response.body, caps.maxAnswerBytes);
            if (over && isSuccess(response.status))
              throw capError(where, 'maxAnswerBytes', caps, 'sent an answer larger than');
            // An error page over the cap is judged by its first bytes: its status says what to do.
            const data = readEnvelope(response, text, where, base);
            if (isDeeperThan(data, caps.maxDepth))
              throw capError(where, 'maxDepth', caps, 'sent a record nested deeper than');
            return data;
          },
          call,
          callSignal,
        ),
      );
    },
    async getList(path, query, handlers, call = {}) {
      const paginator = createPaginator({ firstUrl: urlOf(path, query) });
      // The list cap counts every page that was read whole; a retried page counts once.
      let listBytes = 0;
      let start = 0;
      for (let url: string | null = urlOf(path, query); url !== null; ) {
        const pageUrl: string = url;
        const page = await withRetries(pageUrl, call, (callSignal) =>
          attempt(
            pageUrl,
            (response, where) => {
              handlers.onPage(start);
              return readListPage(response, where, { base, caps, listBytes, start, handlers });
            },
            call,
            callSignal,
          ),
        );
        listBytes = page.listBytes;
        start += page.count;
        url = paginator.next(page);
      }
      return paginator.summary();
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function capError(
  where: Where,
  cap: CapName,
  caps: AnswerCaps,
  what: string,
  cause?: unknown,
): AnswerCapError {
  const reason = `${what} ${describeCap(cap, caps)}`;
  return new AnswerCapError(
    `${where.method} ${where.url} ${reason}; nothing was published and the last good snapshot is kept (raise the setting if that answer is genuine).`,
    { cap, url: where.url, reason },
    cause === undefined ? undefined : { cause },
  );
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
    release() {
      if (!body.readableEnded) body.destroy();
    },
  };
}

interface ListPageContext {
  base: URL;
  caps: AnswerCaps;
  /** Bytes of the list's earlier pages. */
  listBytes: number;
  /** Index of the page's first element in the whole list. */
  start: number;
  handlers: ListHandlers;
}

/**
 * Streams one page of a list: each element of `data` goes to `onItem` as soon as it is parsed, or to
 * `onSetAside` when it is over a cap. An error status, or a body that is not JSON, is read (up to a cap) and
 * judged by `readEnvelope`. Resolves with what the page says about the rest of the list.
 */
async function readListPage(
  response: Answer,
  where: Where,
  { base, caps, listBytes, start, handlers }: ListPageContext,
): Promise<PageFacts & { listBytes: number }> {
  if (!isSuccess(response.status)) {
    readEnvelope(response, (await readCapped(response.body, caps.maxAnswerBytes)).text, where, base);
  }
  let body: AsyncIterable<Uint8Array> = response.body;
  if (!/json/i.test(response.headers.get('content-type') ?? '')) {
    // Mislabelled JSON is still read as a list; anything else is judged (and described) as a whole.
    const { text, over } = await readCapped(body, caps.maxListBytes - listBytes);
    if (over) throw capError(where, 'maxListBytes', caps, 'sent a list larger than');
    if (!/^\s*\{/.test(text)) readEnvelope(response, text, where, base);
    body = (async function* () {
      yield Buffer.from(text);
    })();
  }
  let first: string | undefined;
  let last: unknown;
  let lastAside: string | undefined;
  const list = new JsonListStream({
    onItem: (item, index) => {
      first ??= JSON.stringify(item);
      last = item;
      lastAside = undefined;
      handlers.onItem(item, start + index);
    },
    onSetAside: (index, setAside) => {
      const reason =
        setAside.limit === 'size'
          ? `larger than ${describeCap('maxRecordBytes', caps)} (${setAside.bytes} bytes)`
          : `nested deeper than ${describeCap('maxDepth', caps)}`;
      first ??= `set aside ${index}`;
      lastAside = `set aside ${index} ${setAside.bytes}`;
      handlers.onSetAside?.(start + index, { ...setAside, reason });
    },
    maxValueBytes: caps.maxRecordBytes,
    maxDepth: caps.maxDepth,
  });
  let bytes = listBytes;
  let result: JsonListResult;
  try {
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > caps.maxListBytes) {
        // An element already over its own cap is the likelier culprit (an endless string): say so.
        const inside = list.skipping
          ? `, inside one element over ${describeCap('maxRecordBytes', caps)},`
          : '';
        throw capError(where, 'maxListBytes', caps, `sent${inside} a list larger than`);
      }
      for (let offset = 0; offset < chunk.length; offset += LIST_SLICE_BYTES) {
        list.write(chunk.subarray(offset, offset + LIST_SLICE_BYTES));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    result = list.end();
  } catch (cause) {
    if (cause instanceof JsonListLimitError) {
      const cap = cause.limit === 'size' ? 'maxRecordBytes' : 'maxDepth';
      throw capError(where, cap, caps, `answered an envelope where ${cause.message}, over`, cause);
    }
    if (!(cause instanceof JsonListSyntaxError)) throw cause;
    const skipping = list.skipping;
    if (skipping) {
      // The body ended inside an element already over a cap: another try would cost as much again.
      const cap = skipping === 'size' ? 'maxRecordBytes' : 'maxDepth';
      throw capError(where, cap, caps, 'sent an element that never ended and is over', cause);
    }
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
  return {
    url: where.url,
    count: result.count,
    link: response.headers.get('link'),
    totalCount: response.headers.get('x-total-count'),
    members: result.members,
    fingerprint: pageFingerprint(result.count, first ?? '', lastAside ?? JSON.stringify(last) ?? ''),
    listBytes: bytes,
  };
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

/**
 * Checks status and envelope; returns `data` or throws an `ApiError` that says whether to retry, or a
 * `ConfigError` for a redirect: the API moved, and only the person running the tool can say where to send
 * the token.
 */
function readEnvelope(response: Answer, body: string, where: Where, base: URL): unknown {
  const { status } = response;
  const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
  if (location) throw redirectError(response, where, base, location);
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
    const said = message ? `: ${message}` : parsed ? '' : describeBody(body, contentType);
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

/**
 * A redirect as a configuration error (exit 2) naming the QWOTY_API_URL to set: the base the new location
 * implies when it ends with the path asked for (`https://app.qwoty.io/api` for `…/api/contacts`).
 */
function redirectError(response: Answer, where: Where, base: URL, location: string): ConfigError {
  let target: URL;
  try {
    target = new URL(location, where.url);
  } catch {
    return new ConfigError(
      `${where.method} ${where.url} answered ${response.status}${statusText(response)} with an unreadable Location; check QWOTY_API_URL.`,
    );
  }
  const asked = where.url.slice(base.href.length).split('?')[0] ?? '';
  const path = `${target.origin}${target.pathname}`;
  const suggested = asked && path.endsWith(asked) ? path.slice(0, -asked.length) : path;
  return new ConfigError(
    `${where.method} ${where.url} answered ${response.status}${statusText(response)}, redirecting to ${target.href}; the token is not sent there unasked: set QWOTY_API_URL=${withoutTrailingSlashes(suggested)} if that is the API's new address.`,
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
    const title = htmlTitle(body);
    return title ? ` (an HTML page: "${title}")` : ' (an HTML page)';
  }
  if (body.length === 0) return ' (an empty body)';
  return ` (${body.length} bytes starting ${JSON.stringify(body.slice(0, 40))})`;
}

/** Where an error page's title is looked for: a proxy's page names itself in its head. */
const TITLE_SEARCH_CHARS = 4096;

/**
 * The first 120 characters of an HTML page's `<title>`, looked for in its first 4 KB with string searches
 * only. A regex such as `/<title[^>]*>([^<]*)/` is quadratic on a page of repeated `<title`: 200 KB held the
 * event loop, and with it every timeout and deadline, for seconds.
 */
function htmlTitle(body: string): string | undefined {
  const head = body.slice(0, TITLE_SEARCH_CHARS);
  const open = head.search(/<title[\s>]/i);
  if (open < 0) return undefined;
  const close = head.indexOf('>', open);
  if (close < 0) return undefined;
  const text = head.slice(close + 1);
  const end = text.indexOf('<');
  return (end < 0 ? text : text.slice(0, end)).slice(0, 120).trim();
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
