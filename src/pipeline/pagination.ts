/**
 * Lists are complete or refused. The docs say `/contacts` and `/addresses` answer the whole workspace at once,
 * but a paginated answer is legal JSON too, and publishing its first page as the workspace is the one outcome
 * worse than failing. So every page of a list is read for the pagination shapes web frameworks emit, and
 * followed to the end:
 *
 * - a `Link` header with `rel="next"` (RFC 8288);
 * - `links.next` (JSON:API, Laravel resources) and `next_page_url` (Laravel's paginator);
 * - `current_page`/`last_page` (Laravel), in `meta` or at the top level: the next page is `?page=n+1`;
 * - `has_more: true` with a cursor (`next_cursor` or `cursor`, in `meta` or at the top level): `?cursor=…`.
 *
 * Any sign that a list is partial which cannot be followed refuses the run (`PartialListError`, exit 5; the
 * last good snapshot is kept): a `total` or `X-Total-Count` above what arrived, a next link to another origin
 * (the token would go with it), a page that repeats, `has_more` without a cursor, and an unknown member that
 * looks like a continuation (`next`, `nextPageToken`, `continuation`…) with a value.
 */
import { createHash } from 'node:crypto';
import LinkHeader from 'http-link-header';
import { DataRejectedError } from '../shared/errors.ts';

/** A list is partial and the client cannot follow it: nothing is published. */
export class PartialListError extends DataRejectedError {
  override name = 'PartialListError';
}

/** What one page of a list said about the rest. */
export interface PageFacts {
  /** The URL the page was read from. */
  url: string;
  /** Elements on the page (set-aside ones included). */
  count: number;
  /** The `Link` and `X-Total-Count` headers, as sent. */
  link: string | null;
  totalCount: string | null;
  /** Top-level members other than `data`, parsed. */
  members: ReadonlyMap<string, unknown>;
  /** Identifies the page's content: a page whose fingerprint was seen before repeats. */
  fingerprint: string;
}

/** How a list was read, for the manifest. */
export interface ListSummary {
  /** Elements across all pages. */
  count: number;
  pages: number;
  /** Top-level members other than `success`, `data` and `error`, across pages, sorted. */
  members: string[];
}

/** Members of the envelope that are documented, or that this module reads. */
const DOCUMENTED = new Set(['success', 'data', 'error']);
const KNOWN_TOP = new Set([
  ...DOCUMENTED,
  'message',
  'meta',
  'links',
  'next_page_url',
  'prev_page_url',
  'first_page_url',
  'last_page_url',
  'current_page',
  'last_page',
  'per_page',
  'total',
  'from',
  'to',
  'path',
  'has_more',
  'next_cursor',
  'prev_cursor',
  'cursor',
]);
/** Keys read in `links` (when it is an object; Laravel's paginator sends an array of buttons there). */
const KNOWN_LINKS = new Set(['first', 'last', 'prev', 'next', 'self']);
/** A member name that may carry a way to the rest of the list. */
const CONTINUATION = /next|cursor|continu|token|offset|after|more|scroll|page/i;

/**
 * Follows one list from its first URL. `next(page)` returns the URL of the page after `page`, or null when
 * the list is complete, and throws `PartialListError` when it is partial and cannot be followed.
 */
export function createPaginator(options: { firstUrl: string }) {
  const first = new URL(options.firstUrl);
  const visited = new Set([first.href]);
  const fingerprints = new Set<string>();
  const members = new Set<string>();
  let count = 0;
  let pages = 0;
  let announced: { total: number; where: string } | undefined;

  const refuse = (page: PageFacts, why: string): never => {
    throw new PartialListError(
      `GET ${page.url} answered a partial list that cannot be followed (${why}); nothing was published and the last good snapshot is kept.`,
    );
  };

  const checkTotal = (page: PageFacts) => {
    if (announced && announced.total > count) {
      refuse(page, `${announced.where} announces ${announced.total} records but ${count} arrived`);
    }
  };

  return {
    next(page: PageFacts): string | null {
      pages += 1;
      count += page.count;
      for (const name of page.members.keys()) if (!DOCUMENTED.has(name)) members.add(name);
      if (fingerprints.has(page.fingerprint)) refuse(page, 'the same page arrived twice');
      fingerprints.add(page.fingerprint);
      for (const [total, where] of totalsOf(page)) {
        if (!announced || total > announced.total) announced = { total, where };
      }
      const unknown = unknownContinuation(page.members);
      if (unknown) refuse(page, `it holds ${unknown}, a continuation this client does not know`);

      const target = nextOf(page, first, refuse);
      if (target === null) {
        checkTotal(page);
        return null;
      }
      const url = new URL(target, page.url);
      if (url.origin !== first.origin) {
        refuse(page, `the next page is on ${url.origin}, not on the API's ${first.origin}`);
      }
      url.hash = '';
      if (visited.has(url.href)) refuse(page, `the next page, ${url.href}, was read already`);
      visited.add(url.href);
      return url.href;
    },
    summary(): ListSummary {
      return { count, pages, members: [...members].sort() };
    },
  };
}

/** The next page's URL (absolute or relative to the page), or null when this page says it is the last. */
function nextOf(page: PageFacts, first: URL, refuse: (page: PageFacts, why: string) => never): string | null {
  const meta = objectOr(page.members.get('meta'));
  const links = objectOr(page.members.get('links'));
  const urls = new Map<string, string>();
  const offer = (value: unknown, where: string) => {
    if (typeof value === 'string' && value.trim() !== '') {
      const url = new URL(value.trim(), page.url).href;
      if (![...urls.values()].includes(url)) urls.set(where, url);
    } else if (value !== undefined && value !== null && value !== false && value !== '') {
      refuse(page, `${where} is not a URL`);
    }
  };
  offer(links?.next, 'links.next');
  offer(page.members.get('next_page_url'), 'next_page_url');
  offer(meta?.next_page_url, 'meta.next_page_url');
  let fromHeader: string | undefined;
  try {
    fromHeader = linkHeaderNext(page.link);
  } catch {
    if (/next/i.test(page.link ?? '')) refuse(page, 'its Link header cannot be read');
  }
  offer(fromHeader, 'the Link header');
  if (urls.size > 1) refuse(page, `${[...urls.keys()].join(' and ')} name different next pages`);
  const [url] = urls.values();
  if (url !== undefined) return url;

  const current = wholeNumber(meta?.current_page ?? page.members.get('current_page'));
  const last = wholeNumber(meta?.last_page ?? page.members.get('last_page'));
  if (current !== undefined && last !== undefined && current < last) {
    const next = new URL(first);
    next.searchParams.set('page', String(current + 1));
    return next.href;
  }

  const hasMore = meta?.has_more ?? page.members.get('has_more');
  if (hasMore === true) {
    const cursor = [
      meta?.next_cursor,
      page.members.get('next_cursor'),
      meta?.cursor,
      page.members.get('cursor'),
    ].find((value) => typeof value === 'string' && value !== '');
    if (typeof cursor !== 'string')
      refuse(page, 'has_more is true but no next_cursor or cursor says where to go on');
    const next = new URL(first);
    next.searchParams.set('cursor', cursor as string);
    return next.href;
  }
  return null;
}

/** Totals the page announces, with where it says so. */
function totalsOf(page: PageFacts): [number, string][] {
  const meta = objectOr(page.members.get('meta'));
  const found: [number, string][] = [];
  const header = page.totalCount?.trim();
  if (header && /^\d+$/.test(header)) found.push([Number(header), 'X-Total-Count']);
  const top = wholeNumber(page.members.get('total'));
  if (top !== undefined) found.push([top, 'total']);
  const inMeta = wholeNumber(meta?.total);
  if (inMeta !== undefined) found.push([inMeta, 'meta.total']);
  return found;
}

/** The name of an unknown member (top level, `meta` or `links`) that looks like a way on, when one has a value. */
function unknownContinuation(members: ReadonlyMap<string, unknown>): string | undefined {
  const candidates: [string, unknown][] = [...members].filter(([name]) => !KNOWN_TOP.has(name));
  const meta = objectOr(members.get('meta'));
  if (meta)
    for (const [name, value] of Object.entries(meta))
      if (!KNOWN_TOP.has(name)) candidates.push([`meta.${name}`, value]);
  const links = objectOr(members.get('links'));
  if (links)
    for (const [name, value] of Object.entries(links))
      if (!KNOWN_LINKS.has(name)) candidates.push([`links.${name}`, value]);
  const found = candidates.find(
    ([name, value]) =>
      CONTINUATION.test(name.replace(/^(meta|links)\./, '')) &&
      value !== null &&
      value !== false &&
      value !== '' &&
      value !== 0,
  );
  return found ? `"${found[0]}"` : undefined;
}

/**
 * The `rel="next"` target of a `Link` header (RFC 8288, parsed by http-link-header: quoted parameters may hold
 * commas and semicolons), if any. Throws when the header cannot be parsed.
 */
export function linkHeaderNext(header: string | null): string | undefined {
  if (!header?.trim()) return undefined;
  return LinkHeader.parse(header).refs.find((ref) => ref.rel.toLowerCase().split(/\s+/).includes('next'))
    ?.uri;
}

/** A fingerprint of a page: its element count and its first and last elements. */
export function pageFingerprint(count: number, first: string, last: string): string {
  return createHash('sha1').update(`${count}\n${first}\n${last}`).digest('base64');
}

function objectOr(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function wholeNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
