/**
 * Answers that are legal but unexpected, which the embedded API produces on demand: lists paged the ways web
 * frameworks page them (and the defects that make a list partial), records in the other shapes the docs show
 * for known fields, records nested or sized past any sane bound, compression bombs and endless elements,
 * per-record permissions, deleted customers and a token revoked mid-run. `SCENARIOS` names each case for
 * `npm run api -- --shape <name>` and the tests.
 */
import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Workspace } from './generate.ts';
import { JSON_TYPE, type Reply } from './replies.ts';

/** How each page of a list points at the next one; frameworks often send several at once. */
export type NextStyle = 'link-header' | 'links-next' | 'next-page-url' | 'meta-pages' | 'cursor';
export const NEXT_STYLES: readonly NextStyle[] = [
  'link-header',
  'links-next',
  'next-page-url',
  'meta-pages',
  'cursor',
];

/** What makes a paged list partial in a way a client must notice. */
export type PaginationDefect =
  /** Next links point at another host (a misconfigured proxy; the token would follow them). */
  | 'foreign-host'
  /** The page parameter is ignored: every page is the first, and says a next one exists. */
  | 'repeat'
  /** No known next signal: only an undocumented `continuation_token` member says there is more. */
  | 'unknown-continuation'
  /** The total announced (header and `meta.total`) is larger than the records served. */
  | 'overstated-total';

/** How `/contacts` and `/addresses` page their answers. */
export interface Pagination {
  /** Records per page. */
  perPage: number;
  /** Default `['links-next']`. */
  next?: readonly NextStyle[] | undefined;
  /** Where the total is announced: an `X-Total-Count` header and/or `meta.total`. Default both. */
  total?: readonly ('x-total-count' | 'meta-total')[] | undefined;
  defect?: PaginationDefect | undefined;
}

/** Answers no sane API sends, streamed rather than built, so that the server itself stays small. */
export type HostileAnswer =
  /** A gzip body of a few MB that inflates to `inflatedBytes` of one unfinished string inside `data`. */
  | { kind: 'gzipBomb'; path: string; inflatedBytes: number }
  /** A 200 whose first element never ends: the string grows until the client hangs up. */
  | { kind: 'endlessElement'; path: string };

/** A record served as raw JSON text, for values `JSON.stringify` itself cannot write (20,000 levels deep). */
export class RawRecord {
  readonly json: string;
  readonly id: string | undefined;
  readonly customer_id: string | undefined;
  constructor(json: string, fields: { id?: string; customer_id?: string } = {}) {
    this.json = json;
    this.id = fields.id;
    this.customer_id = fields.customer_id;
  }
}

/** `record` as JSON text, with `field` replaced by a value nested `levels` deep (arrays, or objects). */
export function deepRecord(
  record: unknown,
  field: string,
  levels: number,
  nest: 'array' | 'object' = 'array',
): RawRecord {
  const value =
    nest === 'array'
      ? '['.repeat(levels) + ']'.repeat(levels)
      : `${'{"a":'.repeat(levels)}null${'}'.repeat(levels)}`;
  const base = { ...(record as Record<string, unknown>), [field]: null };
  const json = JSON.stringify(base).replace(
    `${JSON.stringify(field)}:null`,
    `${JSON.stringify(field)}:${value}`,
  );
  return new RawRecord(json, fieldsOf(record));
}

/** The JSON text of a record, raw or not. */
export function recordJson(record: unknown): string {
  return record instanceof RawRecord ? record.json : JSON.stringify(record);
}

/** `{"success":true,"data":[…]}` for these records, raw ones included. */
export function listBody(records: readonly unknown[], members: Record<string, unknown> = {}): Buffer {
  const extra = Object.entries(members)
    .map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`)
    .join('');
  return Buffer.from(`{"success":true,"data":[${records.map(recordJson).join(',')}]${extra}}`);
}

/** `{"success":true,"data":…}` for one record, raw or not. */
export function recordReply(record: unknown): Reply {
  return {
    status: 200,
    headers: { 'content-type': JSON_TYPE },
    body: Buffer.from(`{"success":true,"data":${recordJson(record)}}`),
  };
}

/**
 * One page of `records` as the request (`page` or `cursor` in its query) asks for it, in the styles of
 * `pagination`. `origin` is the server's own (`http://127.0.0.1:port`), for absolute links.
 */
export function pageReply(
  records: readonly unknown[],
  url: URL,
  origin: string,
  pagination: Pagination,
): Reply {
  const { perPage, next = ['links-next'], total = ['x-total-count', 'meta-total'], defect } = pagination;
  const pages = Math.max(1, Math.ceil(records.length / perPage));
  const cursor = url.searchParams.get('cursor');
  const asked = cursor
    ? Number(cursor.replace(/^c/, '')) / perPage + 1
    : Number(url.searchParams.get('page') ?? 1);
  const page = defect === 'repeat' ? 1 : Number.isInteger(asked) && asked >= 1 ? asked : 1;
  const data = records.slice((page - 1) * perPage, page * perPage);
  const hasNext = page < pages;
  const linkTo = (target: number, style: 'page' | 'cursor' = 'page') => {
    const link = new URL(
      `${defect === 'foreign-host' ? 'http://elsewhere.invalid:8443' : origin}${url.pathname}`,
    );
    for (const [key, value] of url.searchParams)
      if (key !== 'page' && key !== 'cursor') link.searchParams.set(key, value);
    if (style === 'cursor') link.searchParams.set('cursor', `c${(target - 1) * perPage}`);
    else link.searchParams.set('page', String(target));
    return link.href;
  };
  const announced = records.length + (defect === 'overstated-total' ? perPage : 0);
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  const members: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};

  if (defect === 'unknown-continuation') {
    if (hasNext) members.continuation_token = `c${page * perPage}`;
  } else {
    for (const style of next) {
      if (style === 'link-header' && hasNext) {
        headers.link = `<${linkTo(page + 1)}>; rel="next", <${linkTo(1)}>; rel="first"`;
      } else if (style === 'links-next') {
        members.links = {
          first: linkTo(1),
          last: linkTo(pages),
          prev: page > 1 ? linkTo(page - 1) : null,
          next: hasNext ? linkTo(page + 1) : null,
        };
      } else if (style === 'next-page-url') {
        Object.assign(members, {
          current_page: page,
          next_page_url: hasNext ? linkTo(page + 1) : null,
          prev_page_url: page > 1 ? linkTo(page - 1) : null,
          per_page: perPage,
        });
      } else if (style === 'meta-pages') {
        Object.assign(meta, { current_page: page, last_page: pages, per_page: perPage });
      } else if (style === 'cursor') {
        Object.assign(members, { has_more: hasNext, next_cursor: hasNext ? `c${page * perPage}` : null });
      }
    }
  }
  if (total.includes('x-total-count')) headers['x-total-count'] = String(announced);
  if (total.includes('meta-total')) meta.total = announced;
  if (Object.keys(meta).length > 0) members.meta = meta;
  return { status: 200, headers, body: listBody(data, members) };
}

/** Sends a hostile answer; the connection ends when the client hangs up (or at the bomb's end). */
export function sendHostile(response: ServerResponse, answer: HostileAnswer): void {
  const opening = Buffer.from(
    '{"success":true,"data":[{"id":"00000000-0000-4000-8000-00000000b0b0","note":"',
  );
  if (answer.kind === 'gzipBomb') {
    // Concatenated gzip members inflate to the concatenation of their contents (RFC 1952), so one small
    // member of 16 MB of "A" sent again and again is a bomb of any size built in milliseconds.
    const body = [
      gzipSync(opening),
      ...Array.from({ length: Math.ceil(answer.inflatedBytes / BOMB_PIECE) }, bombPiece),
    ];
    response.writeHead(200, {
      'content-type': JSON_TYPE,
      'content-encoding': 'gzip',
      'content-length': String(body.reduce((sum, piece) => sum + piece.length, 0)),
    });
    writeAll(response, body);
    return;
  }
  response.writeHead(200, { 'content-type': JSON_TYPE });
  response.write(opening);
  const piece = Buffer.alloc(256 * 1024, 'A');
  const more = () => {
    while (!response.destroyed && response.write(piece)) {
      // Until the socket's buffer is full; then wait for it to drain.
    }
    if (!response.destroyed) response.once('drain', more);
  };
  response.on('close', () => response.off('drain', more));
  more();
}

const BOMB_PIECE = 16 * 1024 * 1024;
let bombPieceCache: Buffer | undefined;
function bombPiece(): Buffer {
  bombPieceCache ??= gzipSync(Buffer.alloc(BOMB_PIECE, 'A'), { level: 9 });
  return bombPieceCache;
}

function writeAll(response: ServerResponse, pieces: readonly Buffer[]): void {
  let next = 0;
  const more = () => {
    while (next < pieces.length && !response.destroyed) {
      const piece = pieces[next] as Buffer;
      next += 1;
      if (next === pieces.length) {
        response.end(piece);
        return;
      }
      if (!response.write(piece)) {
        response.once('drain', more);
        return;
      }
    }
  };
  more();
}

function fieldsOf(record: unknown): { id?: string; customer_id?: string } {
  const fields: { id?: string; customer_id?: string } = {};
  if (typeof record !== 'object' || record === null) return fields;
  const { id, customer_id } = record as Record<string, unknown>;
  if (typeof id === 'string') fields.id = id;
  if (typeof customer_id === 'string') fields.customer_id = customer_id;
  return fields;
}

/** Options of `createQwotyServer` a scenario sets (see `server.ts`). */
export interface ScenarioOptions {
  workspace?: { contacts: readonly unknown[]; customers: readonly unknown[]; addresses: readonly unknown[] };
  pagination?: Pagination;
  hostile?: readonly HostileAnswer[];
  forbiddenIds?: readonly string[];
  revokeTokenAfter?: number;
}

/** One named case: what it does to the generated workspace and the server, and what the pipeline must do. */
export interface Scenario {
  /** What the API does, and what a run must end with. */
  description: string;
  apply: (workspace: Workspace) => ScenarioOptions;
}

/** The workspace with some records in the other shapes the docs show for their fields. */
export function withAlternateShapes(workspace: Workspace): Workspace {
  const contacts = workspace.contacts.map((contact, index) =>
    index % 10 === 1 ? { ...(contact as object), role: 'decision_maker' } : contact,
  );
  const customers = workspace.customers.map((customer, index) => {
    const record = customer as Record<string, unknown>;
    if (index % 4 === 1) {
      return {
        ...record,
        tax_ids: [{ code: 'VAT', value: `FR${String(index).padStart(11, '0')}` }],
        logo: { url: `https://cdn.qwoty.example/logos/${index}.png`, alt: `${String(record.name)} logo` },
        custom_properties: { tier: 'gold', account_manager: 'Zoë', scores: [1, 2, { nested: true }] },
      };
    }
    return index % 4 === 2 ? { ...record, logo: 42, tax_ids: 'FR123' } : customer;
  });
  return { ...workspace, contacts, customers };
}

const firstCustomerId = (workspace: Workspace): string =>
  String((workspace.contacts[0] as { customer_id?: unknown } | undefined)?.customer_id ?? '');

const paged = (pagination: Pagination) => (workspace: Workspace) => ({ workspace, pagination });

/** The named cases `npm run api -- --shape <name>` serves. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  paginated: {
    description:
      '500 records per page with links.next, a Link header, meta.total and X-Total-Count: every page is followed (exit 0)',
    apply: paged({ perPage: 500, next: ['links-next', 'link-header'] }),
  },
  'paginated-link-header': {
    description: 'pages linked only by the Link header: followed (exit 0)',
    apply: paged({ perPage: 500, next: ['link-header'], total: ['x-total-count'] }),
  },
  'paginated-next-page-url': {
    description: "Laravel's next_page_url: followed (exit 0)",
    apply: paged({ perPage: 500, next: ['next-page-url'], total: ['meta-total'] }),
  },
  'paginated-meta-pages': {
    description: 'only meta.current_page and meta.last_page: ?page=n+1 is asked (exit 0)',
    apply: paged({ perPage: 500, next: ['meta-pages'] }),
  },
  'paginated-cursor': {
    description: 'has_more with next_cursor: ?cursor= is asked (exit 0)',
    apply: paged({ perPage: 500, next: ['cursor'], total: [] }),
  },
  'foreign-next': {
    description: 'next links on another host: refused (exit 5), nothing sent there',
    apply: paged({ perPage: 500, defect: 'foreign-host' }),
  },
  'repeated-page': {
    description: 'the page parameter is ignored, so page 1 comes back: refused (exit 5)',
    apply: paged({ perPage: 500, defect: 'repeat' }),
  },
  'unknown-continuation': {
    description: 'only an undocumented continuation_token says there is more: refused (exit 5)',
    apply: paged({ perPage: 500, defect: 'unknown-continuation', total: [] }),
  },
  'overstated-total': {
    description: 'X-Total-Count and meta.total above what the pages hold: refused (exit 5)',
    apply: paged({ perPage: 500, defect: 'overstated-total' }),
  },
  'alternate-shapes': {
    description:
      'role as one string, tax ids as {code, value}, logo as {url, alt}, custom_properties, and bad logos: all published (exit 0)',
    apply: (workspace) => ({ workspace: withAlternateShapes(workspace) }),
  },
  'deep-known-field': {
    description: 'one contact whose role is nested 20,000 levels deep: set aside without its value (exit 0)',
    apply: (workspace) => ({
      workspace: {
        ...workspace,
        contacts: workspace.contacts.map((c, i) => (i === 3 ? deepRecord(c, 'role', 20_000) : c)),
      },
    }),
  },
  'deep-unknown-field': {
    description:
      'one contact with an unknown field nested 20,000 levels deep: set aside without its value (exit 0)',
    apply: (workspace) => ({
      workspace: {
        ...workspace,
        contacts: workspace.contacts.map((c, i) =>
          i === 3 ? deepRecord(c, 'x_extra', 20_000, 'object') : c,
        ),
      },
    }),
  },
  'oversized-record': {
    description: 'one contact with a 4 MB note: set aside without its value (exit 0)',
    apply: (workspace) => ({
      workspace: {
        ...workspace,
        contacts: workspace.contacts.map((c, i) =>
          i === 3 ? { ...(c as object), note: 'N'.repeat(4 * 1024 * 1024) } : c,
        ),
      },
    }),
  },
  'deleted-customer': {
    description: "the first contact's customer answers 404: its contacts are published under its id (exit 0)",
    apply: (workspace) => {
      const gone = firstCustomerId(workspace);
      return {
        workspace: {
          ...workspace,
          customers: workspace.customers.filter((c) => (c as { id?: unknown }).id !== gone),
        },
      };
    },
  },
  'forbidden-customer': {
    description: "the first contact's customer answers 403: only it loses its name (exit 0)",
    apply: (workspace) => ({ workspace, forbiddenIds: [firstCustomerId(workspace)] }),
  },
  'revoked-token': {
    description: 'the token is revoked after 20 requests, during the customer look-ups: exit 3',
    apply: (workspace) => ({ workspace, revokeTokenAfter: 20 }),
  },
  'gzip-bomb': {
    description:
      '/addresses answers a few MB of gzip that inflate to 1 GB of one unfinished string: exit 5, not retried',
    apply: (workspace) => ({
      workspace,
      hostile: [{ kind: 'gzipBomb', path: '/addresses', inflatedBytes: 1024 ** 3 }],
    }),
  },
  'endless-element': {
    description: '/contacts streams an element that never ends: exit 5 at the list cap, not retried',
    apply: (workspace) => ({ workspace, hostile: [{ kind: 'endlessElement', path: '/contacts' }] }),
  },
};
