/**
 * One pace for the whole run. Every request to the API (the contacts list, the addresses, each customer
 * look-up) takes a turn from one `RateLimiter`, so what one answer teaches (a quota, a 429, a pause) holds
 * every worker at once instead of each finding the wall on its own.
 *
 * It reads the limits the API announces, in the forms servers use (`rate-limit-headers.ts`), and spends the
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
import { type HeaderReader, type RateLimitInfo, readRateLimitHeaders } from './rate-limit-headers.ts';

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
/**
 * The share of what the pace allowed in the last second that must have gone out for that second's good answers
 * to measure the API: fewer, and the client held itself back (a busy CPU, a pause for the list), not the API.
 */
const PACE_USED = 0.8;
/**
 * Turns a late timer may catch up at once. A timer fires late on a busy machine (at a load of 30 on 2 cores,
 * by 18 ms at the median and 100 ms at the 90th percentile); counted from when it fired, each turn lost that
 * much, and a pace of 40 a second went out at about 23. Counted from when it was due, the pace holds, and the
 * catch-up stays a small burst, within what a bucket that allows the pace keeps.
 */
const CATCH_UP_TURNS = 4;
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

/** Everything the limiter knows, shared by its steps below. */
interface LimiterState {
  readonly concurrency: number;
  readonly now: () => number;
  readonly stats: RateLimiterStats;
  // The queue: who waits, who is out.
  readonly waiters: Waiter[];
  inFlight: number;
  /** Sent, not yet answered: what the API may not have counted yet. */
  unanswered: number;
  timer: NodeJS.Timeout | undefined;
  blockedSince: number | null;
  // What the API announced or showed.
  limited: boolean;
  pausedUntil: number;
  quota: Quota | null;
  /** After a window's reset, one request goes first to learn the new quota; true while it is out. */
  probing: boolean;
  /** Whether a window has been seen: after its reset, the next one is learnt by a probe. */
  windowed: boolean;
  // Adaptation without headers: the pace (null: unpaced), and its bookkeeping.
  pace: Pace | null;
  nextAt: number;
  lastCutAt: number;
  /** Requests granted so far; a 429 to one granted before `cutSeq` belongs to the last congestion event. */
  granted: number;
  cutSeq: number;
  /** 429s of the last congestion event. */
  eventThrottled: number;
  pauseStreak: number;
  readonly recentSuccesses: number[];
  /** When recent 429s were answered, for the answers of the last second. */
  readonly recentThrottled: number[];
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { concurrency, now = Date.now } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new TypeError('Expected `concurrency` to be a positive integer.');
  const state: LimiterState = {
    concurrency,
    now,
    stats: { throttled: 0, congestionEvents: 0, waitedMs: 0 },
    waiters: [],
    inFlight: 0,
    unanswered: 0,
    timer: undefined,
    blockedSince: null,
    limited: false,
    pausedUntil: 0,
    quota: null,
    probing: false,
    windowed: false,
    pace: null,
    nextAt: 0,
    lastCutAt: Number.NEGATIVE_INFINITY,
    granted: 0,
    cutSeq: 0,
    eventThrottled: 0,
    pauseStreak: 0,
    recentSuccesses: [],
    recentThrottled: [],
  };
  return {
    acquire: (acquireOptions) => acquire(state, acquireOptions),
    get limited() {
      return state.limited;
    },
    get resumesAt() {
      return earliest(state, now()) ?? now();
    },
    stats: state.stats,
  };
}

function acquire(
  state: LimiterState,
  { signal, notAfter = Number.POSITIVE_INFINITY }: AcquireOptions = {},
): Promise<Permit> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  // Nobody waiting and a turn free now (an API without limits, most of the time): no waiter, no listener.
  if (state.waiters.length === 0 && state.inFlight < state.concurrency) {
    const at = state.now();
    const next = earliest(state, at);
    if (next !== null && next <= at) return Promise.resolve(grant(state, at));
  }
  return new Promise<Permit>((resolve, reject) => {
    const waiter: Waiter = {
      resolve,
      reject,
      notAfter,
      signal,
      onAbort: () => {
        settle(state, waiter).reject(signal?.reason);
        pump(state);
      },
    };
    signal?.addEventListener('abort', waiter.onAbort, { once: true });
    state.waiters.push(waiter);
    pump(state);
  });
}

/** The earliest time the next request may go, or null when it must wait for an answer (a probe). */
function earliest(state: LimiterState, at: number): number | null {
  let time = Math.max(at, state.pausedUntil);
  if (state.quota && at >= state.quota.resetAt) {
    state.quota = null;
    state.probing = false;
  }
  if (state.quota) {
    if (state.quota.allowance <= 0) time = Math.max(time, state.quota.resetAt);
  } else if (state.windowed && state.probing) return null;
  if (state.pace !== null) time = Math.max(time, state.nextAt);
  return time;
}

/** Lets the waiters go that may go now, tells those who cannot wait long enough, and sets the next wake-up. */
function pump(state: LimiterState): void {
  clearTimeout(state.timer);
  state.timer = undefined;
  const at = state.now();
  const { waiters } = state;
  while (waiters.length > 0 && state.inFlight < state.concurrency) {
    const next = earliest(state, at);
    if (next !== null && next > at) {
      refuseWhoCannotWait(state, next);
      if (waiters.length === 0) break;
      state.blockedSince ??= at;
      state.timer = setTimeout(() => pump(state), Math.min(next - at, 2 ** 31 - 1));
      return;
    }
    if (next === null) {
      state.blockedSince ??= at;
      return;
    }
    const waiter = waiters[0];
    if (!waiter) break;
    settle(state, waiter).resolve(grant(state, at));
  }
  if (state.blockedSince !== null) {
    state.stats.waitedMs += at - state.blockedSince;
    state.blockedSince = null;
  }
}

/**
 * Nobody can go before `next`: those who cannot wait that long are told now. Unless the quota is what holds
 * them and answers are still due: those may show the API had counted more than it had.
 */
function refuseWhoCannotWait(state: LimiterState, next: number): void {
  const { quota } = state;
  const certain = state.unanswered === 0 || !quota || quota.allowance > 0 || state.pausedUntil >= next;
  for (const waiter of certain ? [...state.waiters] : []) {
    if (next > waiter.notAfter) settle(state, waiter).reject(new RateLimitWaitError(next, waiter.notAfter));
  }
}

function settle(state: LimiterState, waiter: Waiter): Waiter {
  const index = state.waiters.indexOf(waiter);
  if (index >= 0) state.waiters.splice(index, 1);
  waiter.signal?.removeEventListener('abort', waiter.onAbort);
  return waiter;
}

function grant(state: LimiterState, at: number): Permit {
  state.inFlight += 1;
  state.unanswered += 1;
  if (state.quota) state.quota.allowance -= 1;
  else if (state.windowed) state.probing = true;
  if (state.pace !== null) {
    const interval = 1000 / rateOf(state.pace, at);
    state.nextAt = Math.max(state.nextAt, at - CATCH_UP_TURNS * interval) + interval;
  }
  const seq = state.granted;
  state.granted += 1;
  let answered = false;
  let released = false;
  return {
    answered(status, headers) {
      if (answered || released) return;
      answered = true;
      state.unanswered -= 1;
      learn(state, status, headers, seq);
      pump(state);
    },
    release() {
      if (released) return;
      released = true;
      state.inFlight -= 1;
      if (!answered) {
        state.unanswered -= 1;
        // A probe that got no answer: let the next request learn the window instead.
        if (!state.quota) state.probing = false;
      }
      pump(state);
    },
  };
}

/** What one answer teaches: a quota announced, a good answer, or a 429 (`seq`: when its request was granted). */
function learn(state: LimiterState, status: number, headers: HeaderReader, seq: number): void {
  const at = state.now();
  const info = readRateLimitHeaders(headers, at);
  const announced = info.remaining !== undefined;
  if (announced || info.limit !== undefined || status === 429) state.limited = true;
  if (announced) noteQuota(state, info.remaining ?? 0, info.resetAt, at);
  else if (!state.quota) state.probing = false;

  if (status !== 429) {
    state.pauseStreak = 0;
    if (status < 500) noteSuccess(state, at);
    return;
  }
  noteThrottled(state, info, announced, seq, at);
}

function noteThrottled(
  state: LimiterState,
  info: RateLimitInfo,
  announced: boolean,
  seq: number,
  at: number,
): void {
  state.stats.throttled += 1;
  remember(state.recentThrottled, at);
  const until = info.retryAt ?? (announced && info.resetAt !== undefined ? info.resetAt : undefined);
  // A 429 that announces the quota has set it above (to 0, as a rule). One that does not comes from
  // something else (a proxy, another limit): it pauses everyone, but the window's quota stands.
  if (until !== undefined) state.pausedUntil = Math.max(state.pausedUntil, until);
  // With a quota announced, its arithmetic sets the pace. And a request granted before the last reaction
  // to a 429 says nothing new: those in flight with it, answered within a round trip of it, meet the same
  // wall. One congestion event, one reaction, as TCP does. (Counted in requests, not milliseconds: on
  // loopback a request is sent and answered within the same millisecond.)
  if (announced && until !== undefined) return;
  if (seq < state.cutSeq) noteSameEvent(state, at);
  else noteCongestionEvent(state, at);
}

/** A 429 of the congestion event already reacted to. */
function noteSameEvent(state: LimiterState, at: number): void {
  // …but a salvo refused together is no lone hiccup: its second 429 is evidence enough of a limit.
  state.eventThrottled += 1;
  if (state.pace === null && state.eventThrottled === 2) {
    state.pace = {
      since: Math.max(at, state.pausedUntil),
      wMax: Math.max(1, accepted(state, at)),
      slowStart: true,
    };
    state.nextAt = state.pace.since;
  }
}

/** A new congestion event: the pace is cut (or first set), and everyone pauses a while. */
function noteCongestionEvent(state: LimiterState, at: number): void {
  state.eventThrottled = 1;
  state.pauseStreak += 1;
  state.stats.congestionEvents += 1;
  const recurring = at - state.lastCutAt < RECURRING_MS;
  state.lastCutAt = at;
  state.cutSeq = state.granted;
  const lastSecond = accepted(state, at);
  const { pace } = state;
  // Before any pace is set, what the API accepted in the last second is the best guess of its rate, when
  // that is some evidence: at least a full round of requests, or a second 429 soon after the first. A lone
  // 429 after a few answers (a proxy's hiccup, a run that has barely started) only pauses: pacing to one
  // answer a second from it would starve the whole run.
  if (pace !== null) state.pace = afterEvent(pace, at, paceUsed(state, pace, at) ? lastSecond : Infinity);
  else if (lastSecond >= state.concurrency || recurring) {
    // A full second of answers is a pace that worked; fewer (the run's first moments, a burst) only a
    // floor to start from, doubled until the next 429 tells.
    const seenFor = at - (state.recentSuccesses[0] ?? at);
    state.pace = { since: at, wMax: Math.max(1, lastSecond), slowStart: seenFor < 1000 };
  }
  pauseAfterEvent(state, at);
}

/**
 * Once paced, the cut itself is the reaction; until then, and while 429s follow each other with no good
 * answer in between, everyone pauses, twice as long each time.
 */
function pauseAfterEvent(state: LimiterState, at: number): void {
  const { pace, pauseStreak } = state;
  const backoff = pace === null || pauseStreak > 1 ? FIRST_PAUSE_MS * 2 ** (pauseStreak - 1) : 0;
  const interval = 1000 / (pace === null ? 4 : rateOf(pace, at));
  state.pausedUntil = Math.max(state.pausedUntil, at + Math.min(MAX_PAUSE_MS, Math.max(backoff, interval)));
  // The pace's clock starts when the pause ends: a pace that grew while nobody could send is a guess.
  if (pace !== null) {
    pace.since = Math.max(pace.since, state.pausedUntil);
    state.nextAt = pace.since;
  }
}

/** Good answers in the last second. */
function accepted(state: LimiterState, at: number): number {
  return inLastSecond(state.recentSuccesses, at);
}

function inLastSecond(times: readonly number[], at: number): number {
  return times.filter((time) => time > at - 1000).length;
}

/**
 * Whether the pace held for the last second and the client sent about what it allowed: only then do the good
 * answers of that second say what the API lets through. A client that stalled (a CPU shared with other work,
 * garbage collection) sent less, and cutting the pace to what it happened to send would starve the rest of
 * the run: the bench at a load of 20 on 2 cores cut a 40/s bucket's pace to under 10/s that way.
 */
function paceUsed(state: LimiterState, pace: Pace, at: number): boolean {
  if (at - pace.since < 1000) return false;
  // What the pace allowed over the last second, by the trapezoid rule on five points.
  const points = [0, 250, 500, 750, 1000].map((back) => rateOf(pace, at - back));
  const allowed =
    (points.reduce((sum, rate) => sum + rate, 0) - ((points[0] ?? 0) + (points[4] ?? 0)) / 2) / 4;
  const sent = inLastSecond(state.recentSuccesses, at) + inLastSecond(state.recentThrottled, at);
  return sent >= PACE_USED * allowed;
}

function remember(times: number[], at: number): void {
  times.push(at);
  if (times.length > 4096) times.splice(0, 2048);
}

function noteQuota(state: LimiterState, remaining: number, resetAt: number | undefined, at: number): void {
  state.windowed = true;
  state.probing = false;
  const reset = resetAt ?? at + UNTIMED_QUOTA_MS;
  const { quota } = state;
  // Requests still in flight may not be counted in `remaining` yet: count them as spent.
  if (!quota || reset > quota.resetAt + SAME_WINDOW_MS || at >= quota.resetAt) {
    state.quota = { remaining, resetAt: reset, allowance: remaining - state.unanswered };
    return;
  }
  if (reset < quota.resetAt - SAME_WINDOW_MS) return; // an answer from a window already over
  // Within a window what is left only goes down: a larger number is an older answer overtaken by others.
  quota.remaining = Math.min(quota.remaining, remaining);
  quota.resetAt = Math.max(quota.resetAt, reset);
  quota.allowance = quota.remaining - state.unanswered;
}

function noteSuccess(state: LimiterState, at: number): void {
  remember(state.recentSuccesses, at);
}
