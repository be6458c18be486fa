/**
 * What an answer's status and `{"success": …}` envelope say, and the wording of the errors that come of them:
 * which failures are worth another try (by `api-retry.ts`'s rule), a redirect as a configuration error, and
 * a body that is not JSON described by what it looks like (an HTML page's title, its first bytes).
 */
import { ApiError, ConfigError } from '../shared/errors.ts';
import { FailureEnvelopeSchema, SuccessEnvelopeSchema } from '../shared/schema/api.ts';
import { type AnswerCaps, capError, isDeeperThan, readCapped } from './answer-caps.ts';
import { isRetryableStatus } from './api-retry.ts';
import type { Answer, Where } from './api-transport.ts';
import { withoutTrailingSlashes } from './api-url.ts';
import { parseRetryAfter } from './rate-limit-headers.ts';

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * A whole answer (not a list): read up to `maxAnswerBytes`, its envelope checked, its `data` no deeper than
 * `maxDepth`.
 */
export async function readData(
  response: Answer,
  where: Where,
  caps: AnswerCaps,
  base: URL,
): Promise<unknown> {
  const { text, over } = await readCapped(response.body, caps.maxAnswerBytes);
  if (over && isSuccess(response.status))
    throw capError(where, 'maxAnswerBytes', caps, 'sent an answer larger than');
  // An error page over the cap is judged by its first bytes: its status says what to do.
  const data = readEnvelope(response, text, where, base);
  if (isDeeperThan(data, caps.maxDepth))
    throw capError(where, 'maxDepth', caps, 'sent a record nested deeper than');
  return data;
}

/**
 * Checks status and envelope; returns `data` or throws an `ApiError` that says whether to retry, or a
 * `ConfigError` for a redirect: the API moved, and only the person running the tool can say where to send
 * the token.
 */
export function readEnvelope(response: Answer, body: string, where: Where, base: URL): unknown {
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
  if (!isSuccess(status)) throw statusError(response, where, parsed ? json : undefined, parsed, body);
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
  if (failure.success) throw reportedFailure(where, status, failure.data.error);
  throw noEnvelope(where, status);
}

/**
 * What a streamed list's top-level members said: `{"success": true}` and a `data` that is a list, or the
 * error that names what was wrong.
 */
export function checkListEnvelope(
  members: Map<string, unknown>,
  notArray: boolean,
  where: Where,
  status: number,
): void {
  const success = members.get('success');
  const error = members.get('error');
  if (success === false) throw reportedFailure(where, status, typeof error === 'string' ? error : undefined);
  if (success !== true) throw noEnvelope(where, status);
  if (notArray) {
    throw new ApiError(`${where.method} ${where.url} answered ${status} with a "data" that is not a list`, {
      ...where,
      status,
      retryable: false,
    });
  }
}

/** An error status, with what the body says of it: the envelope's message, or what the body looks like. */
function statusError(response: Answer, where: Where, json: unknown, parsed: boolean, body: string): ApiError {
  const { status } = response;
  const failure = parsed ? FailureEnvelopeSchema.safeParse(json) : undefined;
  const message = failure?.success ? failure.data.error : undefined;
  const said = message
    ? `: ${message}`
    : parsed
      ? ''
      : describeBody(body, response.headers.get('content-type') ?? '');
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new ApiError(`${where.method} ${where.url} answered ${status}${statusText(response)}${said}`, {
    ...where,
    status,
    retryable: isRetryableStatus(status),
    retryAfterMs,
  });
}

function reportedFailure(where: Where, status: number, error: string | undefined): ApiError {
  return new ApiError(
    `${where.method} ${where.url} answered ${status} but reported a failure: ${error ?? 'no message'}`,
    { ...where, status, retryable: false },
  );
}

function noEnvelope(where: Where, status: number): ApiError {
  return new ApiError(
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
