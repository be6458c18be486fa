/**
 * One pace for the whole run. Every request to the API (the contacts list, the addresses, each customer
 * look-up) takes a turn from one `RateLimiter`, so what one answer teaches (a quota, a 429, a pause) holds
 * every worker at once instead of each finding the wall on its own.
 *
 * It reads the limits the API announces, in the forms servers use (`readRateLimitHeaders`), and spends the
 * announced quota exactly: it stops before `Remaining` reaches zero, counting the requests still in flight,
 * and waits for the window to reset. Without such headers it finds the rate from the 429s as TCP CUBIC finds
 * its window: the 429s of one round trip are one congestion event, which cuts the pace once; the pace then
 * climbs back quickly toward the last one that worked and probes carefully above it. It never has more
 * requests in flight than `concurrency`.
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
  /**
   * Reactions to 429s without an announced quota: 429s to requests that were in flight together (answered
   * within one round trip of each other) are one congestion event.
   */
  congestionEvents: number;
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
 * Without announced limits the pace is found as TCP CUBIC finds a congestion window (RFC 9438), in requests
 * per second instead of segments and with time in seconds. At a congestion event the pace is multiplied by
 * `BETA`; it then climbs back along a cubic that is steep far below the last pace that worked, flat around
 * it, and steep again only once it has held there a while: quick recovery, careful probing above.
 *
 * Why CUBIC and not AIMD with fast recovery: AIMD's additive increase is linear in a step chosen up front,
 * too slow after a cut from a low first guess (the run that started this, at 40/s with a burst of 8, cut to
 * about 6/s and climbed 1.5/s each second: never back near 40 in 252 requests), too fast to probe with once
 * there. CUBIC's climb depends only on the time since the event and the pace at it, so one constant (`K`,
 * the time to get back) suits 5 requests a second as well as 500.
 */
const BETA = 0.7;
/** Seconds after a congestion event the pace is back where it was at the event (CUBIC's K). */
const RECOVERY_S = 1;
/** CUBIC's C, relative to the pace at the event: W(t) = Wmax·(1 + C·(t − K)³), so that W(0) = BETA·Wmax. */
const CUBIC_C = (1 - BETA) / RECOVERY_S ** 3;
/**
 * Before the pace has been seen to work (the first events of a run, a guess from a handful of answers), it
 * doubles every this many seconds, as TCP's slow start does per round trip, until the next event.
 */
const SLOW_START_DOUBLING_S = 0.25;
/** The slowest pace adaptation goes to, in requests per second (one a minute). */
const MIN_RATE = 1 / 60;
/** Above this the pace holds nobody back: the cubic's far end, kept finite. */
const MAX_RATE = 1e6;
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

/** The pace found without announced limits: a function of the time since the last congestion event. */
interface Pace {
  /** When the last congestion event was reacted to (ms since the epoch). */
  since: number;
  /** The pace at that event, requests per second (CUBIC's Wmax); in slow start, the pace it starts from. */
  wMax: number;
  /** True until the pace has been cut once: it only grows, doubling. */
  slowStart: boolean;
}

/** The pace at `at`, requests per second. */
function rateOf(pace: Pace, at: number): number {
  const seconds = Math.max(0, at - pace.since) / 1000;
  const rate = pace.slowStart
    ? pace.wMax * 2 ** (seconds / SLOW_START_DOUBLING_S)
    : pace.wMax * (1 + CUBIC_C * (seconds - RECOVERY_S) ** 3);
  return Math.min(MAX_RATE, Math.max(MIN_RATE, rate));
}

/**
 * The pace after a congestion event at `at`: cut to `BETA` of what it was, to climb back from there. Out of
 * slow start, the last pace that worked is the one before the last doubling. A pace that met the wall below
 * the last one (the limit went down, or another client shares it) is remembered lower still, so the climb
 * slows down sooner (CUBIC's fast convergence). `delivered` is the good answers of the last second, when the
 * pace had held that long (else Infinity): the pace is cut from no more than that.
 */
function afterEvent(pace: Pace, at: number, delivered: number): Pace {
  const current = rateOf(pace, at);
  let wMax = pace.slowStart ? current / 2 : current;
  if (!pace.slowStart && current < pace.wMax) wMax = (current * (1 + BETA)) / 2;
  // A pace far above what the API let through in the last second never worked: a limit that dropped.
  wMax = Math.min(wMax, Math.max(delivered, MIN_RATE));
  return { since: at, wMax: Math.max(MIN_RATE / BETA, wMax), slowStart: false };
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { concurrency, now = Date.now } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new TypeError('Expected `concurrency` to be a positive integer.');

  const stats: RateLimiterStats = { throttled: 0, congestionEvents: 0, waitedMs: 0 };
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
  // Adaptation without headers: the pace (null: unpaced), and its bookkeeping.
  let pace: Pace | null = null;
  let nextAt = 0;
  let lastCutAt = Number.NEGATIVE_INFINITY;
  /** Requests granted so far; a 429 to one granted before `cutSeq` belongs to the last congestion event. */
  let granted = 0;
  let cutSeq = 0;
  /** 429s of the last congestion event. */
  let eventThrottled = 0;
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
    if (pace !== null) time = Math.max(time, nextAt);
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
    if (pace !== null) nextAt = Math.max(nextAt, at) + 1000 / rateOf(pace, at);
    const seq = granted;
    granted += 1;
    let answered = false;
    let released = false;
    return {
      answered(status, headers) {
        if (answered || released) return;
        answered = true;
        unanswered -= 1;
        learn(status, headers, seq);
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

  function learn(status: number, headers: HeaderReader, seq: number) {
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
    // With a quota announced, its arithmetic sets the pace. And a request granted before the last reaction
    // to a 429 says nothing new: those in flight with it, answered within a round trip of it, meet the same
    // wall. One congestion event, one reaction, as TCP does. (Counted in requests, not milliseconds: on
    // loopback a request is sent and answered within the same millisecond.)
    if (announced && until !== undefined) return;
    if (seq < cutSeq) {
      // …but a salvo refused together is no lone hiccup: its second 429 is evidence enough of a limit.
      eventThrottled += 1;
      if (pace === null && eventThrottled === 2) {
        pace = { since: Math.max(at, pausedUntil), wMax: Math.max(1, accepted(at)), slowStart: true };
        nextAt = pace.since;
      }
      return;
    }
    eventThrottled = 1;
    pauseStreak += 1;
    stats.congestionEvents += 1;
    const recurring = at - lastCutAt < RECURRING_MS;
    lastCutAt = at;
    cutSeq = granted;
    const lastSecond = accepted(at);
    // Before any pace is set, what the API accepted in the last second is the best guess of its rate, when
    // that is some evidence: at least a full round of requests, or a second 429 soon after the first. A lone
    // 429 after a few answers (a proxy's hiccup, a run that has barely started) only pauses: pacing to one
    // answer a second from it would starve the whole run.
    if (pace !== null) pace = afterEvent(pace, at, at - pace.since >= 1000 ? lastSecond : Infinity);
    else if (lastSecond >= concurrency || recurring) {
      // A full second of answers is a pace that worked; fewer (the run's first moments, a burst) only a
      // floor to start from, doubled until the next 429 tells.
      const seenFor = at - (recentSuccesses[0] ?? at);
      pace =
        seenFor >= 1000
          ? { since: at, wMax: Math.max(1, lastSecond), slowStart: false }
          : { since: at, wMax: Math.max(1, lastSecond), slowStart: true };
    }
    // Once paced, the cut itself is the reaction; until then, and while 429s follow each other with no good
    // answer in between, everyone pauses, twice as long each time.
    const backoff = pace === null || pauseStreak > 1 ? FIRST_PAUSE_MS * 2 ** (pauseStreak - 1) : 0;
    const interval = 1000 / (pace === null ? 4 : rateOf(pace, at));
    pausedUntil = Math.max(pausedUntil, at + Math.min(MAX_PAUSE_MS, Math.max(backoff, interval)));
    // The pace's clock starts when the pause ends: a pace that grew while nobody could send is a guess.
    if (pace !== null) {
      pace.since = Math.max(pace.since, pausedUntil);
      nextAt = pace.since;
    }
  }

  /** Good answers in the last second. */
  function accepted(at: number): number {
    return recentSuccesses.filter((time) => time > at - 1000).length;
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
