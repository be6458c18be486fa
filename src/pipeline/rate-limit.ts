/**
 * One pace for the whole run. Every request to the API (the contacts list, the addresses, each customer
 * look-up) takes a turn from one `RateLimiter`, so what one answer teaches (a quota, a 429, a pause) holds
 * every worker at once instead of each finding the wall on its own.
 *
 * It reads the limits the API announces, in the forms servers use (`readRateLimitHeaders`), and spends the
 * announced quota exactly: it stops before `Remaining` reaches zero, counting the requests still in flight,
 * and waits for the window to reset. Without such headers it finds the rate from the 429s: each one cuts the
 * pace, and good answers raise it again slowly (additive increase, multiplicative decrease). It never has
 * more requests in flight than `concurrency`.
 *
 * Why not p-queue, p-throttle or bottleneck: they pace to numbers given up front (so many per interval, a
 * reservoir refilled on a timer). Here the numbers are learned from every answer and change as they come,
 * and the quota arithmetic needs each request's own answer (its status and headers) and how many others
 * were in flight when it came back. What they would add on top, a waiting list and a timer, is a few lines.
 */
import { ApiError } from '../shared/errors.ts';

/** What the limiter reads of an answer's headers. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A rate limit as one answer announced it; times are absolute (ms since the epoch), by our clock. */
export interface RateLimitInfo {
  /** Requests allowed per window. */
  limit?: number;
  /** Requests left in the current window, this one counted. */
  remaining?: number;
  /** When the current window resets. */
  resetAt?: number;
  /** When to come back (`Retry-After`). */
  retryAt?: number;
}

/**
 * Reads every rate-limit header form in common use; fields nobody sent stay undefined:
 * - `X-RateLimit-Limit`, `-Remaining`, `-Reset` (and `X-Rate-Limit-…`): the reset in seconds from now, or as
 *   a Unix time in seconds or milliseconds (GitHub's form), or an HTTP date;
 * - the IETF fields of draft-ietf-httpapi-ratelimit-headers: `RateLimit: "default";r=50;t=30` with
 *   `RateLimit-Policy: "default";q=100;w=60` (draft 8 on), `RateLimit: limit=100, remaining=50, reset=30`
 *   (drafts 6-7), and `RateLimit-Limit`, `-Remaining`, `-Reset` (the earlier drafts);
 * - `Retry-After`, in seconds or as an HTTP date.
 * Where several forms or several policies are present, the tightest wins.
 */
export function readRateLimitHeaders(headers: HeaderReader, now: number): RateLimitInfo {
  const candidates: RateLimitInfo[] = [];
  for (const prefix of PREFIXES) {
    const limitText = headers.get(prefix.limit);
    const remainingText = headers.get(prefix.remaining);
    const reset = headers.get(prefix.reset);
    if (limitText === null && remainingText === null && reset === null) continue;
    const limit = firstNumber(limitText);
    const remaining = firstNumber(remainingText);
    candidates.push({
      ...defined('limit', limit),
      ...defined('remaining', remaining),
      ...defined('resetAt', resetTime(reset, now, prefix.deltaOnly)),
    });
  }
  const ietf = headers.get('ratelimit');
  const retryAfterText = headers.get('retry-after');
  // Most answers of most APIs carry none of these: no work, no garbage, for them.
  if (candidates.length === 0 && ietf === null && retryAfterText === null) return {};
  candidates.push(...readIetfFields(ietf, headers.get('ratelimit-policy'), now));
  const tightest = candidates
    .filter((info) => info.remaining !== undefined || info.limit !== undefined)
    .sort((a, b) => (a.remaining ?? a.limit ?? 0) - (b.remaining ?? b.limit ?? 0))[0];
  const retryAfter = parseRetryAfter(retryAfterText, now);
  return {
    ...tightest,
    ...defined('retryAt', retryAfter === undefined ? undefined : now + retryAfter),
  };
}

/** The header names of the three `<prefix>Limit/Remaining/Reset` forms, spelt once. */
const PREFIXES = ['x-ratelimit-', 'x-rate-limit-', 'ratelimit-'].map((prefix) => ({
  limit: `${prefix}limit`,
  remaining: `${prefix}remaining`,
  reset: `${prefix}reset`,
  // The IETF drafts' reset is always seconds from now; the X- forms' may be a Unix time.
  deltaOnly: prefix === 'ratelimit-',
}));

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date. Absent, unreadable, zero or in the past is no
 * hint (undefined): the backoff decides. The caller clamps it.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Math.round(Number(text) * 1000);
    return ms > 0 ? ms : undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  const ms = date - now;
  return ms > 0 ? ms : undefined;
}

/** The IETF `RateLimit` field, in its structured (draft 8 on) or dictionary (drafts 6-7) form. */
function readIetfFields(field: string | null, policyField: string | null, now: number): RateLimitInfo[] {
  if (!field) return [];
  const policies = new Map<string, Record<string, string>>();
  let unnamedQuota: number | undefined;
  for (const item of splitList(policyField ?? '')) {
    const { name, params } = parseItem(item);
    policies.set(name, params);
    // Drafts 6-7: `RateLimit-Policy: 100;w=60`, the quota as the item itself.
    if (/^\d+$/.test(name)) unnamedQuota ??= Number(name);
  }
  const items = splitList(field).map(parseItem);
  const dictionary = Object.fromEntries(
    items.filter((item) => item.value !== undefined).map((item) => [item.name, item.value]),
  );
  if ('remaining' in dictionary || 'limit' in dictionary) {
    return [
      {
        ...defined('limit', firstNumber(dictionary.limit ?? null) ?? unnamedQuota),
        ...defined('remaining', firstNumber(dictionary.remaining ?? null)),
        ...defined('resetAt', resetTime(dictionary.reset ?? null, now, true)),
      },
    ];
  }
  return items
    .filter((item) => item.params.r !== undefined)
    .map((item) => {
      const policy = policies.get(item.name);
      return {
        ...defined('limit', firstNumber(policy?.q ?? null) ?? unnamedQuota),
        ...defined('remaining', firstNumber(item.params.r ?? null)),
        ...defined('resetAt', resetTime(item.params.t ?? null, now, true)),
      };
    });
}

/** Splits a structured-field list on its top-level commas (not those inside quoted strings). */
function splitList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      items.push(current);
      current = '';
    } else current += char;
  }
  items.push(current);
  return items.map((item) => item.trim()).filter(Boolean);
}

/** `"name";a=1;b=2` or `key=value;a=1` → its name (unquoted), its value if it had one, its parameters. */
function parseItem(item: string): {
  name: string;
  value: string | undefined;
  params: Record<string, string>;
} {
  const [head = '', ...rest] = item.split(';').map((part) => part.trim());
  const params: Record<string, string> = {};
  for (const param of rest) {
    const [key = '', value = '?1'] = param.split('=');
    params[key.trim().toLowerCase()] = unquote(value.trim());
  }
  const equals = head.indexOf('=');
  if (equals > 0 && !head.startsWith('"')) {
    return {
      name: head.slice(0, equals).trim().toLowerCase(),
      value: unquote(head.slice(equals + 1)),
      params,
    };
  }
  return { name: unquote(head), value: undefined, params };
}

function unquote(text: string): string {
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** The first non-negative number of a header such as `100` or `100, 100;w=60`. */
function firstNumber(value: string | null): number | undefined {
  const match = value === null ? null : /^\s*(\d+(?:\.\d+)?)/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * A reset time: seconds from now, or (unless `deltaOnly`, as the IETF fields always are) a Unix time in
 * seconds or milliseconds, or an HTTP date.
 */
function resetTime(value: string | null, now: number, deltaOnly: boolean): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const number = firstNumber(value);
  if (number === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    if (deltaOnly) return number === undefined ? undefined : now + number * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : date;
  }
  if (!deltaOnly && number > 1e12) return number;
  if (!deltaOnly && number > 1e9) return number * 1000;
  return now + number * 1000;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** A turn to send one request. */
export interface Permit {
  /** Tell the limiter the answer's status and headers, as soon as they arrive (before the body). */
  answered(status: number, headers: HeaderReader): void;
  /** The attempt is over (its body read, or it failed): frees its place. Safe to call more than once. */
  release(): void;
}

export interface AcquireOptions {
  /** Stop waiting when it aborts; the promise then rejects with its reason. */
  signal?: AbortSignal | undefined;
  /**
   * Give up at once (with a `RateLimitWaitError`) when the limiter already knows it cannot send before this
   * time (ms since the epoch): a quota that resets after the run's cut-off is not worth waiting for.
   */
  notAfter?: number | undefined;
}

export interface RateLimiterStats {
  /** Answers that were 429 Too Many Requests. */
  throttled: number;
  /** Wall-clock time during which requests were ready to go but held back by the rate limit. */
  waitedMs: number;
}

export interface RateLimiter {
  /** Waits for a turn: a free place (at most `concurrency`) and, if the API limits the rate, its leave. */
  acquire(options?: AcquireOptions): Promise<Permit>;
  /** True once the API has shown that it limits the rate: announced a quota, or answered 429. */
  readonly limited: boolean;
  /** When the API allows the next request (ms since the epoch); now or earlier when it allows one now. */
  readonly resumesAt: number;
  readonly stats: Readonly<RateLimiterStats>;
}

export interface RateLimiterOptions {
  /** Requests in flight at once, at most: `--concurrency`. */
  concurrency: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** The API said it allows no request before this run's cut-off for look-ups: not worth the wait. */
export class RateLimitWaitError extends ApiError {
  override name = 'RateLimitWaitError';
  /** When the API allows the next request. */
  readonly resumesAt: number;
  constructor(resumesAt: number, notAfter: number) {
    super(
      `The API's rate limit allows no request before ${new Date(resumesAt).toISOString()}, after this run's cut-off at ${new Date(notAfter).toISOString()}`,
      { status: 429, method: 'GET', url: '', retryable: false },
    );
    this.resumesAt = resumesAt;
  }
}

/**
 * Without announced limits, each 429 multiplies the pace by this (but never before the requests sent at the
 * old pace have come back: one cut per congestion, as TCP does).
 */
const DECREASE = 0.7;
/** …and each second of good answers adds this share of the pace set at the last cut. */
const INCREASE_PER_SECOND = 0.25;
/** The slowest pace adaptation goes to, in requests per second (one a minute). */
const MIN_RATE = 1 / 60;
/** A 429 this soon after the last reaction to one shows a limit, however little was accepted before it. */
const RECURRING_MS = 10_000;
/** First pause after a 429 that says nothing; it doubles while 429s follow each other, up to the maximum. */
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 60_000;
/** Reported quotas whose resets are this close describe the same window (resets come in whole seconds). */
const SAME_WINDOW_MS = 1_500;
/** How long a quota without a reset time is trusted before it is learnt again. */
const UNTIMED_QUOTA_MS = 1_000;

interface Waiter {
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  notAfter: number;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** The announced quota of the current window, as far as this run can tell. */
interface Quota {
  /** What the API last said was left, the tightest seen in this window. */
  remaining: number;
  resetAt: number;
  /** Requests that may still go out in this window: `remaining`, less those sent or in flight since. */
  allowance: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { concurrency, now = Date.now } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new TypeError('Expected `concurrency` to be a positive integer.');

  const stats: RateLimiterStats = { throttled: 0, waitedMs: 0 };
  const waiters: Waiter[] = [];
  let inFlight = 0;
  /** Sent, not yet answered: what the API may not have counted yet. */
  let unanswered = 0;
  let limited = false;
  let pausedUntil = 0;
  let quota: Quota | null = null;
  /** After a window's reset, one request goes first to learn the new quota; true while it is out. */
  let probing = false;
  /** Whether a window has been seen: after its reset, the next one is learnt by a probe. */
  let windowed = false;
  // Adaptation without headers: the pace in requests per second (null: unpaced), and its bookkeeping.
  let rate: number | null = null;
  let nextAt = 0;
  let lastCutAt = Number.NEGATIVE_INFINITY;
  let rateAtCut = 0;
  let lastRaiseAt = 0;
  let pauseStreak = 0;
  const recentSuccesses: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let blockedSince: number | null = null;

  /** The earliest time the next request may go, or null when it must wait for an answer (a probe). */
  function earliest(at: number): number | null {
    let time = Math.max(at, pausedUntil);
    if (quota && at >= quota.resetAt) {
      quota = null;
      probing = false;
    }
    if (quota) {
      if (quota.allowance <= 0) time = Math.max(time, quota.resetAt);
    } else if (windowed && probing) return null;
    if (rate !== null) time = Math.max(time, nextAt);
    return time;
  }

  function pump() {
    clearTimeout(timer);
    timer = undefined;
    const at = now();
    while (waiters.length > 0 && inFlight < concurrency) {
      const next = earliest(at);
      if (next !== null && next > at) {
        // Nobody can go before `next`: those who cannot wait that long are told now. Unless the quota is what
        // holds them and answers are still due: those may show the API had counted more than it had.
        const certain = unanswered === 0 || !quota || quota.allowance > 0 || pausedUntil >= next;
        for (const waiter of certain ? [...waiters] : []) {
          if (next > waiter.notAfter) settle(waiter).reject(new RateLimitWaitError(next, waiter.notAfter));
        }
        if (waiters.length === 0) break;
        blockedSince ??= at;
        timer = setTimeout(pump, Math.min(next - at, 2 ** 31 - 1));
        return;
      }
      if (next === null) {
        blockedSince ??= at;
        return;
      }
      const waiter = waiters[0];
      if (!waiter) break;
      settle(waiter).resolve(grant(at));
    }
    if (blockedSince !== null) {
      stats.waitedMs += at - blockedSince;
      blockedSince = null;
    }
  }

  function settle(waiter: Waiter): Waiter {
    const index = waiters.indexOf(waiter);
    if (index >= 0) waiters.splice(index, 1);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }

  function grant(at: number): Permit {
    inFlight += 1;
    unanswered += 1;
    if (quota) quota.allowance -= 1;
    else if (windowed) probing = true;
    if (rate !== null) nextAt = Math.max(nextAt, at) + 1000 / rate;
    const sentAt = at;
    let answered = false;
    let released = false;
    return {
      answered(status, headers) {
        if (answered || released) return;
        answered = true;
        unanswered -= 1;
        learn(status, headers, sentAt);
        pump();
      },
      release() {
        if (released) return;
        released = true;
        inFlight -= 1;
        if (!answered) {
          unanswered -= 1;
          // A probe that got no answer: let the next request learn the window instead.
          if (!quota) probing = false;
        }
        pump();
      },
    };
  }

  function learn(status: number, headers: HeaderReader, sentAt: number) {
    const at = now();
    const info = readRateLimitHeaders(headers, at);
    const announced = info.remaining !== undefined;
    if (announced || info.limit !== undefined || status === 429) limited = true;
    if (announced) noteQuota(info.remaining ?? 0, info.resetAt, at);
    else if (!quota) probing = false;

    if (status !== 429) {
      pauseStreak = 0;
      if (status < 500) noteSuccess(at);
      return;
    }
    stats.throttled += 1;
    const until = info.retryAt ?? (announced && info.resetAt !== undefined ? info.resetAt : undefined);
    // A 429 that announces the quota has set it above (to 0, as a rule). One that does not comes from
    // something else (a proxy, another limit): it pauses everyone, but the window's quota stands.
    if (until !== undefined) pausedUntil = Math.max(pausedUntil, until);
    // With a quota announced, its arithmetic sets the pace; and a request sent before the last reaction to a
    // 429 says nothing new (the others in flight then come back 429 too): one reaction per congestion.
    if ((announced && until !== undefined) || sentAt < lastCutAt) return;
    pauseStreak += 1;
    const recurring = at - lastCutAt < RECURRING_MS;
    lastCutAt = at;
    const accepted = recentSuccesses.filter((time) => time > at - 1000).length;
    // Before any pace is set, what the API accepted in the last second is the best guess of its rate, when
    // that is some evidence: at least a full round of requests, or a second 429 soon after the first. A lone
    // 429 after a few answers (a proxy's hiccup, a run that has barely started) only pauses: pacing to one
    // answer a second from it would starve the whole run.
    if (rate !== null || accepted >= concurrency || recurring) {
      rate = Math.max(MIN_RATE, DECREASE * (rate ?? Math.max(1, accepted)));
      rateAtCut = rate;
      lastRaiseAt = at;
      nextAt = at;
    }
    // While 429s follow each other with no good answer in between, the pause doubles.
    const backoff = FIRST_PAUSE_MS * 2 ** (pauseStreak - 1);
    pausedUntil = Math.max(pausedUntil, at + Math.min(MAX_PAUSE_MS, Math.max(backoff, 1000 / (rate ?? 4))));
  }

  function noteQuota(remaining: number, resetAt: number | undefined, at: number) {
    windowed = true;
    probing = false;
    const reset = resetAt ?? at + UNTIMED_QUOTA_MS;
    // Requests still in flight may not be counted in `remaining` yet: count them as spent.
    if (!quota || reset > quota.resetAt + SAME_WINDOW_MS || at >= quota.resetAt) {
      quota = { remaining, resetAt: reset, allowance: remaining - unanswered };
      return;
    }
    if (reset < quota.resetAt - SAME_WINDOW_MS) return; // an answer from a window already over
    // Within a window what is left only goes down: a larger number is an older answer overtaken by others.
    quota.remaining = Math.min(quota.remaining, remaining);
    quota.resetAt = Math.max(quota.resetAt, reset);
    quota.allowance = quota.remaining - unanswered;
  }

  function noteSuccess(at: number) {
    recentSuccesses.push(at);
    if (recentSuccesses.length > 4096) recentSuccesses.splice(0, 2048);
    if (rate === null) return;
    rate += rateAtCut * INCREASE_PER_SECOND * ((at - lastRaiseAt) / 1000);
    lastRaiseAt = at;
  }

  return {
    acquire({ signal, notAfter = Number.POSITIVE_INFINITY } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // Nobody waiting and a turn free now (an API without limits, most of the time): no waiter, no listener.
      if (waiters.length === 0 && inFlight < concurrency) {
        const at = now();
        const next = earliest(at);
        if (next !== null && next <= at) return Promise.resolve(grant(at));
      }
      return new Promise<Permit>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          notAfter,
          signal,
          onAbort: () => {
            settle(waiter).reject(signal?.reason);
            pump();
          },
        };
        signal?.addEventListener('abort', waiter.onAbort, { once: true });
        waiters.push(waiter);
        pump();
      });
    },
    get limited() {
      return limited;
    },
    get resumesAt() {
      return earliest(now()) ?? now();
    },
    stats,
  };
}
