/**
 * Faults the embedded API can inject, to test that the client retries, gives up and reports as it should.
 *
 * A fault acts like a proxy or gateway in front of the API: it is checked before the token, and the first
 * fault in the list that matches a request and is still armed decides what happens to it. Everything a
 * fault does is here: the answer it gives instead of the API's (`replyOfFault`), or how it spoils the
 * sending of the real one (`sendWithFault`).
 *
 * ```ts
 * createQwotyServer({ faults: [{ path: '/contacts', kind: 'rateLimit', times: 2, retryAfter: 1 }] });
 * server.setFaults([{ path: '/customers/*', kind: 'serverError', status: 502, body: 'html', probability: 0.1 }]);
 * ```
 */
import { Buffer } from 'node:buffer';
import { type ServerResponse, STATUS_CODES } from 'node:http';
import { createRandom, type Random } from './generate.ts';
import { failureReply, headersWithLength, htmlReply, JSON_TYPE, type Reply, sendReply } from './replies.ts';

/** Which requests a fault hits, and how often. */
export interface FaultTarget {
  /**
   * The request path below `/api`, query excluded: exact (`'/contacts'`), with `*` standing for one path
   * segment (`'/customers/*'`), or a RegExp tested against that path. Default: every request.
   */
  path?: string | RegExp | undefined;
  /** Hit only the first `times` matching requests, then let the rest through. Default: all of them. */
  times?: number | undefined;
  /** Hit each matching request with this probability (0–1), drawn from the server's seeded generator. */
  probability?: number | undefined;
}

/** How a rate limit or an outage says when to come back. */
export interface RetryAfterOptions {
  /**
   * The `Retry-After` header: a number of seconds, or a string sent verbatim (an HTTP date, or garbage).
   * Absent: no header at all.
   */
  retryAfter?: number | string | undefined;
  /** Send a numeric `retryAfter` as seconds (`'2'`, the default) or as the HTTP date that many seconds ahead. */
  retryAfterFormat?: 'seconds' | 'date' | undefined;
}

export type Fault = FaultTarget &
  (
    | /** 429 Too Many Requests; the body is the failure envelope (default) or empty. */
    ({ kind: 'rateLimit'; body?: 'json' | 'empty' | undefined } & RetryAfterOptions)
    /** 500 (default), 502, 503 or 504, with the failure envelope (default) or an HTML page as a proxy sends. */
    | ({
        kind: 'serverError';
        status?: 500 | 502 | 503 | 504 | undefined;
        body?: 'json' | 'html' | undefined;
      } & RetryAfterOptions)
    /** The connection is reset before any header (default) or halfway through the body. */
    | { kind: 'reset'; when?: 'beforeHeaders' | 'midBody' | undefined }
    /** The real answer, late: headers after `delayMs` (default), or the body in 10 pieces spread over `delayMs`. */
    | { kind: 'slow'; delayMs: number; mode?: 'headers' | 'trickle' | undefined }
    /**
     * The real status and headers, then half the body and a clean close: with the full `content-length`
     * declared (default), or as a chunked body that never sends its last chunk.
     */
    | { kind: 'truncate'; encoding?: 'contentLength' | 'chunked' | undefined }
    /** 200 with an HTML page (`text/html`), like a login wall or a captive portal. */
    | { kind: 'html200' }
    /** 200 with `{"success":false,"error":…}`. */
    | { kind: 'successFalse'; error?: string | undefined }
    /** 200 with `content-type: application/json` and a body that is not JSON. */
    | { kind: 'notJson' }
  );

export type FaultKind = Fault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'rateLimit',
  'serverError',
  'reset',
  'slow',
  'truncate',
  'html200',
  'successFalse',
  'notJson',
];

/** The answer a fault gives instead of the API's, or undefined when it only spoils how the real one is sent. */
export function replyOfFault(fault: Fault, now: number): Reply | undefined {
  switch (fault.kind) {
    case 'rateLimit': {
      const headers = retryAfterHeader(fault, now);
      return fault.body === 'empty'
        ? { status: 429, headers, body: Buffer.alloc(0) }
        : failureReply(429, 'Too many requests: workspace rate limit exceeded', headers);
    }
    case 'serverError': {
      const status = fault.status ?? 500;
      const headers = retryAfterHeader(fault, now);
      const text = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
      return fault.body === 'html'
        ? htmlReply(
            status,
            `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
            headers,
          )
        : failureReply(status, text, headers);
    }
    case 'html200':
      return htmlReply(
        200,
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in · Qwoty</title></head>\n<body><form method="post" action="/login"><input name="email"><button>Sign in</button></form></body></html>\n',
      );
    case 'successFalse':
      return failureReply(200, fault.error ?? 'Temporary failure, please retry');
    case 'notJson':
      return {
        status: 200,
        headers: { 'content-type': JSON_TYPE },
        body: Buffer.from('{"success":true,"data":[,]}'),
      };
    default:
      return undefined;
  }
}

function retryAfterHeader(options: RetryAfterOptions, now: number): Record<string, string> {
  const { retryAfter } = options;
  if (retryAfter === undefined) return {};
  if (typeof retryAfter === 'string') return { 'retry-after': retryAfter };
  if (options.retryAfterFormat === 'date') {
    // HTTP dates have whole seconds: round up so the client never waits less than asked.
    return { 'retry-after': new Date(Math.ceil((now + retryAfter * 1000) / 1000) * 1000).toUTCString() };
  }
  return { 'retry-after': String(retryAfter) };
}

/** The faults of a server and how many times each has fired. */
export interface FaultPlan {
  /** The fault that takes this request (path below `/api`), counting it as fired; undefined to answer normally. */
  take: (path: string) => Fault | undefined;
}

/** Checks the faults (throwing a TypeError naming the bad option) and arms them. */
export function createFaultPlan(faults: readonly Fault[], seed: number): FaultPlan {
  const armed = faults.map((fault, index) => ({
    fault: checkFault(fault, index),
    matches: matcherOf(fault.path),
    fired: 0,
  }));
  const random: Random = createRandom(seed);
  return {
    take: (path) => {
      for (const entry of armed) {
        const { fault } = entry;
        if (entry.fired >= (fault.times ?? Number.POSITIVE_INFINITY) || !entry.matches(path)) continue;
        if (fault.probability !== undefined && random.next() >= fault.probability) continue;
        entry.fired++;
        return fault;
      }
      return undefined;
    },
  };
}

function matcherOf(path: string | RegExp | undefined): (path: string) => boolean {
  if (path === undefined) return () => true;
  if (path instanceof RegExp) return (candidate) => path.test(candidate);
  const pattern = new RegExp(
    `^${path
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );
  return (candidate) => pattern.test(candidate);
}

function checkFault(fault: Fault, index: number): Fault {
  const name = (option: string) => `\`faults[${index}]${option ? `.${option}` : ''}\``;
  if (typeof fault !== 'object' || fault === null)
    throw new TypeError(`Expected ${name('')} to be an object`);
  if (!FAULT_KINDS.includes(fault.kind)) {
    throw new TypeError(
      `Expected ${name('kind')} to be one of ${FAULT_KINDS.join(', ')}, got ${String(fault.kind)}`,
    );
  }
  if (fault.path !== undefined && typeof fault.path !== 'string' && !(fault.path instanceof RegExp)) {
    throw new TypeError(`Expected ${name('path')} to be a string or a RegExp`);
  }
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 0)) {
    throw new TypeError(`Expected ${name('times')} to be a non-negative integer, got ${String(fault.times)}`);
  }
  if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
    throw new TypeError(
      `Expected ${name('probability')} to be between 0 and 1, got ${String(fault.probability)}`,
    );
  }
  if (fault.kind === 'slow' && !(Number.isFinite(fault.delayMs) && fault.delayMs >= 0)) {
    throw new TypeError(
      `Expected ${name('delayMs')} to be a non-negative number, got ${String(fault.delayMs)}`,
    );
  }
  if (
    fault.kind === 'serverError' &&
    fault.status !== undefined &&
    ![500, 502, 503, 504].includes(fault.status)
  ) {
    throw new TypeError(`Expected ${name('status')} to be 500, 502, 503 or 504, got ${String(fault.status)}`);
  }
  if (
    (fault.kind === 'rateLimit' || fault.kind === 'serverError') &&
    typeof fault.retryAfter === 'number' &&
    !(Number.isFinite(fault.retryAfter) && fault.retryAfter >= 0)
  ) {
    throw new TypeError(
      `Expected ${name('retryAfter')} to be a non-negative number, got ${String(fault.retryAfter)}`,
    );
  }
  return fault;
}

/** Runs `action` in `ms` milliseconds; the server cancels what is still pending when it closes. */
export type Later = (ms: number, action: () => void) => void;

const TRICKLE_PIECES = 10;

/** The status the client sees: 0 when the fault resets the connection before any header. */
export function statusSeen(reply: Reply, fault: Fault | undefined): number {
  return fault?.kind === 'reset' && fault.when !== 'midBody' ? 0 : reply.status;
}

/** Sends the answer, spoiled as the fault says (reset, truncated or slow), or as it is. */
export function sendWithFault(
  response: ServerResponse,
  reply: Reply,
  fault: Fault | undefined,
  later: Later,
): void {
  const { socket } = response;
  if (!socket || socket.destroyed) return;
  const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
  switch (fault?.kind) {
    case 'reset':
      if (fault.when === 'midBody') {
        response.writeHead(reply.status, headersWithLength(reply));
        response.write(half, () => socket.resetAndDestroy());
      } else {
        socket.resetAndDestroy();
      }
      return;
    case 'truncate':
      response.writeHead(
        reply.status,
        fault.encoding === 'chunked' ? reply.headers : headersWithLength(reply),
      );
      response.write(half, () => socket.destroySoon());
      return;
    case 'slow':
      if (fault.mode === 'trickle') {
        response.writeHead(reply.status, headersWithLength(reply));
        trickle(response, reply.body, fault.delayMs, later);
      } else {
        later(fault.delayMs, () => sendWithFault(response, reply, undefined, later));
      }
      return;
    default:
      sendReply(response, reply);
  }
}

function trickle(response: ServerResponse, body: Buffer, totalMs: number, later: Later): void {
  const size = Math.ceil(body.length / TRICKLE_PIECES) || 1;
  const sendPiece = (piece: number): void => {
    if (response.destroyed) return;
    const chunk = body.subarray(piece * size, (piece + 1) * size);
    if (piece >= TRICKLE_PIECES - 1 || (piece + 1) * size >= body.length) {
      response.end(chunk);
      return;
    }
    response.write(chunk);
    later(totalMs / (TRICKLE_PIECES - 1), () => sendPiece(piece + 1));
  };
  sendPiece(0);
}
