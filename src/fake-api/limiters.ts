import { ConfigError } from '../shared/errors.ts';

/**
 * Workspace-level rate limits the embedded API can enforce, as real APIs do: every request counts against
 * one quota, and past it the answer is 429.
 *
 * - `window`: a fixed window of `limit` requests per `windowMs`, starting with the first request after the
 *   last window ended. Every answer announces the quota (in the header form chosen), and a 429 carries
 *   `Retry-After`. This is what Laravel, express-rate-limit and most API gateways do by default.
 * - `bucket`: a token bucket of `burst` requests refilled at `perSecond`, that announces nothing: a 429 with
 *   no header at all, as some proxies and CDNs answer.
 *
 * ```ts
 * createQwotyServer({ rateLimit: { kind: 'window', limit: 60, windowMs: 10_000 } });
 * createQwotyServer({ rateLimit: parseRateLimitSpec('bucket:40/s') });
 * ```
 */

/** How a fixed window announces itself. */
export const RATE_LIMIT_HEADER_FORMS = [
  'x-ratelimit',
  'github',
  'ietf',
  'ietf-dictionary',
  'draft',
  'none',
] as const;
export type RateLimitHeaderForm = (typeof RATE_LIMIT_HEADER_FORMS)[number];

export type RateLimitSpec =
  | {
      kind: 'window';
      /** Requests per window. */
      limit: number;
      windowMs: number;
      /**
       * `x-ratelimit` (default): `X-RateLimit-Limit`/`-Remaining`/`-Reset` with the reset in seconds from now;
       * `github`: the same with the reset as a Unix time in seconds; `ietf`: `RateLimit: "default";r=…;t=…`
       * and `RateLimit-Policy: "default";q=…;w=…`; `ietf-dictionary`: `RateLimit: limit=…, remaining=…,
       * reset=…`; `draft`: `RateLimit-Limit`/`-Remaining`/`-Reset`; `none`: only `Retry-After` on a 429.
       */
      headers?: RateLimitHeaderForm | undefined;
      /** `Retry-After` on a 429 in seconds (default) or as an HTTP date. */
      retryAfter?: 'seconds' | 'date' | undefined;
    }
  | {
      kind: 'bucket';
      /** Tokens added per second. */
      perSecond: number;
      /** Tokens the bucket holds (and starts with). Default: one second's worth. */
      burst?: number | undefined;
    };

/** What the limit says about one request: let it through or not, and the headers its answer carries. */
export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

export interface ServerRateLimiter {
  /** Counts one request arriving at `now` (ms since the epoch). */
  take(now: number): RateLimitVerdict;
}

/** Checks the spec (a TypeError names the bad option) and starts its quota. */
export function createServerRateLimiter(spec: RateLimitSpec): ServerRateLimiter {
  if (spec.kind === 'window') return fixedWindow(checkWindow(spec));
  if (spec.kind === 'bucket') return tokenBucket(checkBucket(spec));
  throw new TypeError(
    `Expected \`rateLimit.kind\` to be window or bucket, got ${String((spec as { kind: unknown }).kind)}`,
  );
}

function fixedWindow(spec: Extract<RateLimitSpec, { kind: 'window' }>): ServerRateLimiter {
  const form = spec.headers ?? 'x-ratelimit';
  let windowEnd = 0;
  let used = 0;
  return {
    take(now) {
      if (now >= windowEnd) {
        windowEnd = now + spec.windowMs;
        used = 0;
      }
      used += 1;
      const allowed = used <= spec.limit;
      const remaining = Math.max(0, spec.limit - used);
      // Whole seconds, rounded up as servers do, so that a client never comes back before the reset.
      const resetSeconds = Math.ceil((windowEnd - now) / 1000);
      const headers = announce(form, spec, remaining, resetSeconds, windowEnd);
      if (!allowed) {
        headers['retry-after'] =
          spec.retryAfter === 'date'
            ? new Date(Math.ceil(windowEnd / 1000) * 1000).toUTCString()
            : String(resetSeconds);
      }
      return { allowed, headers };
    },
  };
}

function announce(
  form: RateLimitHeaderForm,
  spec: { limit: number; windowMs: number },
  remaining: number,
  resetSeconds: number,
  windowEnd: number,
): Record<string, string> {
  const windowSeconds = Math.ceil(spec.windowMs / 1000);
  switch (form) {
    case 'x-ratelimit':
    case 'github':
      return {
        'x-ratelimit-limit': String(spec.limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': form === 'github' ? String(Math.ceil(windowEnd / 1000)) : String(resetSeconds),
      };
    case 'ietf':
      return {
        'ratelimit-policy': `"default";q=${spec.limit};w=${windowSeconds}`,
        ratelimit: `"default";r=${remaining};t=${resetSeconds}`,
      };
    case 'ietf-dictionary':
      return {
        'ratelimit-policy': `${spec.limit};w=${windowSeconds}`,
        ratelimit: `limit=${spec.limit}, remaining=${remaining}, reset=${resetSeconds}`,
      };
    case 'draft':
      return {
        'ratelimit-limit': String(spec.limit),
        'ratelimit-remaining': String(remaining),
        'ratelimit-reset': String(resetSeconds),
      };
    case 'none':
      return {};
  }
}

function tokenBucket(spec: Extract<RateLimitSpec, { kind: 'bucket' }>): ServerRateLimiter {
  const burst = spec.burst ?? spec.perSecond;
  let tokens = burst;
  let last: number | undefined;
  return {
    take(now) {
      tokens = Math.min(burst, tokens + ((now - (last ?? now)) / 1000) * spec.perSecond);
      last = now;
      if (tokens < 1) return { allowed: false, headers: {} };
      tokens -= 1;
      return { allowed: true, headers: {} };
    },
  };
}

function checkWindow<T extends Extract<RateLimitSpec, { kind: 'window' }>>(spec: T): T {
  if (!(Number.isInteger(spec.limit) && spec.limit >= 1))
    throw new TypeError(`Expected \`rateLimit.limit\` to be a positive integer, got ${String(spec.limit)}`);
  if (!(Number.isFinite(spec.windowMs) && spec.windowMs > 0))
    throw new TypeError(
      `Expected \`rateLimit.windowMs\` to be a positive number, got ${String(spec.windowMs)}`,
    );
  if (spec.headers !== undefined && !RATE_LIMIT_HEADER_FORMS.includes(spec.headers))
    throw new TypeError(
      `Expected \`rateLimit.headers\` to be one of ${RATE_LIMIT_HEADER_FORMS.join(', ')}, got ${String(spec.headers)}`,
    );
  return spec;
}

function checkBucket<T extends Extract<RateLimitSpec, { kind: 'bucket' }>>(spec: T): T {
  if (!(Number.isFinite(spec.perSecond) && spec.perSecond > 0))
    throw new TypeError(
      `Expected \`rateLimit.perSecond\` to be a positive number, got ${String(spec.perSecond)}`,
    );
  if (spec.burst !== undefined && !(Number.isFinite(spec.burst) && spec.burst >= 1))
    throw new TypeError(`Expected \`rateLimit.burst\` to be at least 1, got ${String(spec.burst)}`);
  return spec;
}

export const RATE_LIMIT_SPEC_HELP =
  'window:<n>/<duration>[,<headers>] (e.g. window:60/10s, window:60/1m,ietf; headers: ' +
  `${RATE_LIMIT_HEADER_FORMS.join(', ')}) or bucket:<n>/s[,burst=<n>] (e.g. bucket:40/s)`;

/**
 * Reads a limit as the command-line flags write it: `window:60/10s` (60 requests per 10-second window, with
 * `X-RateLimit-*` headers), `window:60/1m,ietf`, `bucket:40/s` (a silent bucket of 40 a second), or
 * `bucket:40/s,burst=80`. Durations take ms, s, m or h. Throws a TypeError saying what is expected.
 */
export function parseRateLimitSpec(text: string): RateLimitSpec {
  const match =
    /^(window|bucket):(\d+(?:\.\d+)?)\/(\d*(?:\.\d+)?)(ms|s|m|h)((?:,[a-z-]+(?:=\d+(?:\.\d+)?)?)*)$/i.exec(
      text.trim(),
    );
  if (!match) throw new TypeError(`Expected a rate limit such as ${RATE_LIMIT_SPEC_HELP}, got "${text}"`);
  const [, kind = '', count = '', amount = '', unit = 's', rest = ''] = match;
  const windowMs =
    (amount === '' ? 1 : Number(amount)) *
    { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit.toLowerCase() as 'ms'];
  const options = rest.split(',').filter(Boolean);
  if (kind.toLowerCase() === 'window') {
    const headers = options.find((option) => !option.includes('='));
    return createChecked({
      kind: 'window',
      limit: Number(count),
      windowMs,
      ...(headers ? { headers: headers as RateLimitHeaderForm } : {}),
    });
  }
  const burst = options.find((option) => option.startsWith('burst='))?.slice('burst='.length);
  return createChecked({
    kind: 'bucket',
    perSecond: (Number(count) * 1000) / windowMs,
    ...(burst ? { burst: Number(burst) } : {}),
  });
}

/** A `--rate-limit` flag of `npm run api` and `npm run demo`: a typo is a usage error (exit 2). */
export function rateLimitFlag(value: string | undefined): RateLimitSpec | undefined {
  if (value === undefined) return undefined;
  try {
    return parseRateLimitSpec(value);
  } catch (error) {
    throw new ConfigError(
      `${(error as Error).message.replace(/^Expected/, 'Expected `--rate-limit` to be')}.`,
    );
  }
}

function createChecked(spec: RateLimitSpec): RateLimitSpec {
  createServerRateLimiter(spec);
  return spec;
}

/** One line for a person: "60 requests per 10 s (X-RateLimit headers)". */
export function describeRateLimit(spec: RateLimitSpec): string {
  if (spec.kind === 'bucket')
    return `a silent token bucket of ${spec.perSecond} requests per second (burst ${spec.burst ?? spec.perSecond}), 429 with no header`;
  const seconds = spec.windowMs / 1000;
  return `a fixed window of ${spec.limit} requests per ${seconds} s (${spec.headers ?? 'x-ratelimit'} headers, 429 with Retry-After)`;
}
