/**
 * What one answer of the API may cost, whatever it sends: decompressed bytes of a list (all its pages) and of
 * any other answer, bytes of one list element, and nesting depth of any value. A list over its cap, or an
 * envelope member over the element caps, fails the run with a `AnswerCapError` (exit 5) naming the setting;
 * it is never retried as if it were transient. A list element over a cap is set aside as a reject without its
 * value, and a customer over one is shown by its id: the run goes on.
 *
 * Why these caps: a gzip body of a few megabytes that inflates to a gigabyte of one unfinished string took a
 * run to 3.3 GB before it gave up, and a field nested 20,000 levels deep overflowed the stack of every
 * recursive reader downstream (`JSON.stringify` among them), night after night.
 */
import { ConfigError, DataRejectedError } from '../shared/errors.ts';

export interface AnswerCaps {
  /** Decompressed bytes of one list, all its pages together. */
  maxListBytes: number;
  /** Decompressed bytes of any other answer: one customer, an error page. */
  maxAnswerBytes: number;
  /** Bytes of one element of a list, and of one member of its envelope. */
  maxRecordBytes: number;
  /** Nesting depth of any value; a record object is depth 1, a list in it depth 2. */
  maxDepth: number;
}

export const DEFAULT_CAPS: AnswerCaps = {
  maxListBytes: 256 * 1024 * 1024,
  maxAnswerBytes: 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxDepth: 32,
};

export type CapName = keyof AnswerCaps;

/** The setting that raises each cap, as errors name it. */
export const CAP_SETTINGS: Record<CapName, string> = {
  maxListBytes: 'QWOTY_MAX_LIST_MB (--max-list-mb)',
  maxAnswerBytes: 'QWOTY_MAX_ANSWER_KB (--max-answer-kb)',
  maxRecordBytes: 'QWOTY_MAX_RECORD_KB (--max-record-kb)',
  maxDepth: 'QWOTY_MAX_DEPTH (--max-depth)',
};

/** A cap and its value in words: "QWOTY_MAX_LIST_MB (--max-list-mb) of 256 MB". */
export function describeCap(cap: CapName, caps: AnswerCaps): string {
  const value = caps[cap];
  const amount =
    cap === 'maxDepth'
      ? `${value} levels`
      : cap === 'maxListBytes'
        ? `${formatNumber(value / (1024 * 1024))} MB`
        : `${formatNumber(value / 1024)} kB`;
  return `${CAP_SETTINGS[cap]} of ${amount}`;
}

/** An answer went over a cap: nothing is published, and retrying would only cost the same again. */
export class AnswerCapError extends DataRejectedError {
  override name = 'AnswerCapError';
  readonly cap: CapName;
  readonly url: string;
  /** What went over which cap, without the URL: what a set-aside record's reject says. */
  readonly reason: string;
  constructor(
    message: string,
    details: { cap: CapName; url: string; reason: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.cap = details.cap;
    this.url = details.url;
    this.reason = details.reason;
  }
}

/** `where` answered over `cap`: `what` says how ("sent a list larger than"), the cap's value follows. */
export function capError(
  where: { method: string; url: string },
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

/** `DEFAULT_CAPS` with the caps given; throws a `ConfigError` unless each is a positive integer. */
export function resolveCaps(given: Partial<AnswerCaps> = {}): AnswerCaps {
  const caps: AnswerCaps = { ...DEFAULT_CAPS };
  for (const [name, value] of Object.entries(given) as [CapName, number | undefined][]) {
    if (value !== undefined) caps[name] = value;
  }
  for (const [name, value] of Object.entries(caps)) {
    if (!(Number.isInteger(value) && value > 0))
      throw new ConfigError(`Expected \`caps.${name}\` to be a positive integer.`);
  }
  return caps;
}

/**
 * Whether `value` nests deeper than `limit` (a primitive is depth 0, an object or array 1 plus its deepest
 * child). Iterative, so a value deeper than the stack can be measured.
 */
export function isDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Reads a body as text, stopping after `maxBytes`: `over` says that it had more. */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<{ text: string; over: boolean }> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > maxBytes) return { text: Buffer.concat(chunks).toString('utf8'), over: true };
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), over: false };
}

function formatNumber(value: number): string {
  return (Math.round(value * 10) / 10).toLocaleString('en');
}
