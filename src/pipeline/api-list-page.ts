/**
 * A list read page by page (see `pagination.ts`), each page streamed: every element of `data` goes to
 * `onItem` as soon as it is parsed from the network, or to `onSetAside` when it is over a cap, so a
 * workspace-sized answer is never held as one string.
 */
import { ApiError } from '../shared/errors.ts';
import { type AnswerCaps, capError, describeCap, readCapped } from './answer-caps.ts';
import { checkListEnvelope, isSuccess, readEnvelope } from './api-envelope.ts';
import type { RequestOptions, WithRetries } from './api-retry.ts';
import type { Answer, Transport, Where } from './api-transport.ts';
import {
  JsonListLimitError,
  type JsonListResult,
  JsonListStream,
  JsonListSyntaxError,
  type SetAside,
} from './json-list-stream.ts';
import { createPaginator, type ListSummary, type PageFacts, pageFingerprint } from './pagination.ts';

export interface ListHandlers {
  onPage: (start: number) => void;
  onItem: (item: unknown, index: number) => void;
  onSetAside?: ((index: number, setAside: SetAside & { reason: string }) => void) | undefined;
}

/**
 * A streamed list is validated this many bytes at a time, with a turn of the event loop in between, so the
 * customer look-ups' answers are handled while the contacts stream. Without it, a server that sends faster
 * than records are validated keeps the body's buffer full, the loop reads on in microtasks with 128 kB chunks,
 * and the look-ups crawl until the list ends: at 100,000 contacts, 10-20% of them were done when the contacts
 * were, against 70-90% with 16 kB slices, and the look-ups left over took 2.5 s instead of under one.
 */
const LIST_SLICE_BYTES = 16 * 1024;

/** What reading a list needs of the client. */
export interface ListReader {
  transport: Transport;
  withRetries: WithRetries;
  caps: AnswerCaps;
}

/**
 * Every page of the list at `url`, each attempt at a page started with `onPage(start)`: a retried attempt
 * sends the page's elements again, so the caller forgets those from `start` on.
 */
export async function readList(
  { transport, withRetries, caps }: ListReader,
  firstUrl: string,
  handlers: ListHandlers,
  call: RequestOptions,
): Promise<ListSummary> {
  const paginator = createPaginator({ firstUrl });
  // The list cap counts every page that was read whole; a retried page counts once.
  let listBytes = 0;
  let start = 0;
  for (let url: string | null = firstUrl; url !== null; ) {
    const pageUrl: string = url;
    const page = await withRetries(pageUrl, call, (callSignal) =>
      transport.attempt(
        pageUrl,
        (response, where) => {
          handlers.onPage(start);
          return readListPage(response, where, { base: transport.base, caps, listBytes, start, handlers });
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
 * Streams one page of a list. An error status, or a body that is not JSON, is read (up to a cap) and judged
 * by `readEnvelope`. Resolves with what the page says about the rest of the list.
 */
async function readListPage(
  response: Answer,
  where: Where,
  context: ListPageContext,
): Promise<PageFacts & { listBytes: number }> {
  const body = await listBody(response, where, context);
  const page = pageStream(context);
  let bytes = context.listBytes;
  let result: JsonListResult;
  try {
    bytes = await feed(body, page.list, where, context);
    result = page.list.end();
  } catch (cause) {
    throw listFailure(cause, page.list, where, response.status, context.caps);
  }
  checkListEnvelope(result.members, result.notArray, where, response.status);
  return {
    url: where.url,
    count: result.count,
    link: response.headers.get('link'),
    totalCount: response.headers.get('x-total-count'),
    members: result.members,
    fingerprint: page.fingerprint(result.count),
    listBytes: bytes,
  };
}

/** The body to stream: an error status is judged whole; mislabelled JSON is still read as a list. */
async function listBody(
  response: Answer,
  where: Where,
  { base, caps, listBytes }: ListPageContext,
): Promise<AsyncIterable<Uint8Array>> {
  if (!isSuccess(response.status)) {
    readEnvelope(response, (await readCapped(response.body, caps.maxAnswerBytes)).text, where, base);
  }
  if (/json/i.test(response.headers.get('content-type') ?? '')) return response.body;
  // Anything but JSON is judged (and described) as a whole.
  const { text, over } = await readCapped(response.body, caps.maxListBytes - listBytes);
  if (over) throw capError(where, 'maxListBytes', caps, 'sent a list larger than');
  if (!/^\s*\{/.test(text)) readEnvelope(response, text, where, base);
  return (async function* () {
    yield Buffer.from(text);
  })();
}

/**
 * The page's scanner, handing each element on with its index in the whole list, and the page's fingerprint:
 * its first and last elements (or set-aside places), which tell a page served twice.
 */
function pageStream({ caps, start, handlers }: ListPageContext): {
  list: JsonListStream;
  fingerprint: (count: number) => string;
} {
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
  return {
    list,
    fingerprint: (count) => pageFingerprint(count, first ?? '', lastAside ?? JSON.stringify(last) ?? ''),
  };
}

/** Writes the body to the scanner in slices, a turn of the event loop apart; resolves with the list's bytes. */
async function feed(
  body: AsyncIterable<Uint8Array>,
  list: JsonListStream,
  where: Where,
  { caps, listBytes }: ListPageContext,
): Promise<number> {
  let bytes = listBytes;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > caps.maxListBytes) {
      // An element already over its own cap is the likelier culprit (an endless string): say so.
      const inside = list.skipping ? `, inside one element over ${describeCap('maxRecordBytes', caps)},` : '';
      throw capError(where, 'maxListBytes', caps, `sent${inside} a list larger than`);
    }
    for (let offset = 0; offset < chunk.length; offset += LIST_SLICE_BYTES) {
      list.write(chunk.subarray(offset, offset + LIST_SLICE_BYTES));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return bytes;
}

/** What a failure while streaming a page is: a cap's error, a retryable bad body, or itself. */
function listFailure(
  cause: unknown,
  list: JsonListStream,
  where: Where,
  status: number,
  caps: AnswerCaps,
): unknown {
  if (cause instanceof JsonListLimitError) {
    const cap = cause.limit === 'size' ? 'maxRecordBytes' : 'maxDepth';
    return capError(where, cap, caps, `answered an envelope where ${cause.message}, over`, cause);
  }
  if (!(cause instanceof JsonListSyntaxError)) return cause;
  const skipping = list.skipping;
  if (skipping) {
    // The body ended inside an element already over a cap: another try would cost as much again.
    const cap = skipping === 'size' ? 'maxRecordBytes' : 'maxDepth';
    return capError(where, cap, caps, 'sent an element that never ended and is over', cause);
  }
  const problem = cause.cutShort ? 'a body cut short' : 'a body that is not valid JSON';
  return new ApiError(
    `${where.method} ${where.url} answered ${status} with ${problem}`,
    { ...where, status, retryable: true },
    { cause },
  );
}
