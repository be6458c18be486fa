/**
 * The rate limits an API announces, read from an answer's headers in every form in common use: the `X-` and
 * IETF-draft `RateLimit` fields and `Retry-After`. Pure: a header reader and a clock in, times out. The
 * limiter (`rate-limit.ts`) spends what they announce.
 */
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
