/**
 * An embedded, Qwoty-compatible HTTP API: what the pipeline, the demo, the tests and the benchmarks run
 * against without a token or a network. It answers the documented endpoints with the documented envelopes,
 * checks the bearer token and per-endpoint permissions, and injects faults on demand (see `faults.ts`).
 */

import type { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  createFaultPlan,
  type Fault,
  type FaultKind,
  failureReply,
  JSON_TYPE,
  type Reply,
  replyOfFault,
} from './faults.ts';
import { generateWorkspace } from './generate.ts';
import { createServerRateLimiter, type RateLimitSpec, type ServerRateLimiter } from './limiters.ts';
import {
  type HostileAnswer,
  listBody,
  type Pagination,
  pageReply,
  RawRecord,
  recordReply,
  sendHostile,
} from './shapes.ts';

/** The records a server answers with: a `Workspace` from `generateWorkspace`, or any hand-made records. */
export interface WorkspaceData {
  contacts: readonly unknown[];
  customers: readonly unknown[];
  addresses: readonly unknown[];
}

/** What a token may read; `false` answers 403 on that resource's endpoints. */
export interface Permissions {
  contacts?: boolean | undefined;
  customers?: boolean | undefined;
  addresses?: boolean | undefined;
}

export interface QwotyServerOptions {
  /**
   * The records to serve. Default: `generateWorkspace({ contacts, seed })`. They are serialized and indexed
   * once per workspace object and shared by every server given the same object: changes made to it after a
   * server started are not seen; pass a new object instead.
   */
  workspace?: WorkspaceData | undefined;
  /** Contacts of the generated workspace when `workspace` is not given. Default 100. */
  contacts?: number | undefined;
  /** Seed of the generated workspace, and of fault probabilities. Default 1. */
  seed?: number | undefined;
  /** The bearer token every request must carry. Default `'demo-token'`. */
  token?: string | undefined;
  /** Default: everything readable. */
  permissions?: Permissions | undefined;
  /** Faults armed from the start; replace them at runtime with `setFaults`. */
  faults?: readonly Fault[] | undefined;
  /**
   * A workspace-level rate limit every request counts against (see `limiters.ts`); replace it at runtime with
   * `setRateLimit`. Default: none. Faults act in front of it, like a proxy.
   */
  rateLimit?: RateLimitSpec | undefined;
  /** Delay before every answer, in milliseconds. Default 0. */
  latencyMs?: number | undefined;
  /**
   * Gzip every answer whose request accepts it (`Accept-Encoding: gzip`), as an API behind a CDN would; faults
   * then spoil the compressed bytes. Default false: on loopback, compressing only costs time.
   */
  compress?: boolean | undefined;
  /** Page `/contacts` and `/addresses` as web frameworks do (see `shapes.ts`). Default: one answer each. */
  pagination?: Pagination | undefined;
  /** Answers no sane API sends (compression bombs, endless elements), by path; checked after the token. */
  hostile?: readonly HostileAnswer[] | undefined;
  /** Records (customers, contacts, addresses) the token may not read: 403 on `GET /…/{id}`. */
  forbiddenIds?: readonly string[] | undefined;
  /** Answer 401 to every request after this many, as when a token is revoked during a run. */
  revokeTokenAfter?: number | undefined;
  /** Default `'127.0.0.1'`. */
  host?: string | undefined;
  /** Default 0: a free port. */
  port?: number | undefined;
}

/**
 * What a request asked for: `contacts` is `GET /contacts` (with or without `customer_id`), `contact` is
 * `GET /contacts/{id}`, and so on; `unknown` is any other path.
 */
export type Endpoint = 'contacts' | 'contact' | 'customer' | 'addresses' | 'address' | 'unknown';

export interface RequestRecord {
  method: string;
  /** Path and query as requested, e.g. `/api/contacts?customer_id=…`. */
  path: string;
  endpoint: Endpoint;
  /** The status sent, or 0 when the connection was reset before any. */
  status: number;
  /** The fault that took the request, if any. */
  fault: FaultKind | null;
  /** When it arrived (`Date.now()`). */
  time: number;
}

export interface QwotyServer {
  /** Base URL of the API, e.g. `http://127.0.0.1:43567/api`. */
  url: string;
  port: number;
  token: string;
  workspace: WorkspaceData;
  /** The most recent requests (up to 100,000), oldest first. */
  requests: readonly RequestRecord[];
  /** How many requests were answered, optionally only for one endpoint and/or status (0 = reset). */
  count: (filter?: { endpoint?: Endpoint | undefined; status?: number | undefined }) => number;
  /** Counts per endpoint and per status, e.g. `{ total: 3, byEndpoint: { contacts: 3 }, byStatus: { 200: 1, 429: 2 } }`. */
  stats: () => {
    total: number;
    byEndpoint: Partial<Record<Endpoint, number>>;
    byStatus: Record<number, number>;
  };
  /** Forgets the request log and counters. */
  resetStats: () => void;
  /** Replaces the armed faults; their `times` and the probability generator start over. */
  setFaults: (faults: readonly Fault[]) => void;
  /** Replaces the rate limit (undefined: none); its quota starts over. */
  setRateLimit: (spec: RateLimitSpec | undefined) => void;
  /** Stops listening and cuts open connections, including pending slow answers. */
  close: () => Promise<void>;
}

export const DEMO_TOKEN = 'demo-token';

const LOG_LIMIT = 100_000;
const API_PREFIX = '/api';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRICKLE_PIECES = 10;

/** Indexes and serialized bodies of a workspace, built once and shared by every server that serves it. */
interface PreparedWorkspace {
  contactsBody: Buffer;
  addressesBody: Buffer;
  contactById: Map<string, unknown>;
  customerById: Map<string, unknown>;
  addressById: Map<string, unknown>;
  contactsByCustomer: Map<string, unknown[]>;
  addressesByCustomer: Map<string, unknown[]>;
}

const prepared = new WeakMap<WorkspaceData, PreparedWorkspace>();

function prepare(workspace: WorkspaceData): PreparedWorkspace {
  const cached = prepared.get(workspace);
  if (cached) return cached;
  const result: PreparedWorkspace = {
    contactsBody: listBody(workspace.contacts),
    addressesBody: listBody(workspace.addresses),
    contactById: indexBy(workspace.contacts, 'id'),
    customerById: indexBy(workspace.customers, 'id'),
    addressById: indexBy(workspace.addresses, 'id'),
    contactsByCustomer: groupBy(workspace.contacts, 'customer_id'),
    addressesByCustomer: groupBy(workspace.addresses, 'customer_id'),
  };
  prepared.set(workspace, result);
  return result;
}

function textField(record: unknown, field: 'id' | 'customer_id'): string | undefined {
  if (record instanceof RawRecord) return record[field];
  if (typeof record !== 'object' || record === null || !(field in record)) return undefined;
  const value: unknown = Reflect.get(record, field);
  return typeof value === 'string' ? value : undefined;
}

function indexBy(records: readonly unknown[], field: 'id'): Map<string, unknown> {
  const index = new Map<string, unknown>();
  for (const record of records) {
    const key = textField(record, field);
    if (key !== undefined && !index.has(key)) index.set(key, record);
  }
  return index;
}

function groupBy(records: readonly unknown[], field: 'customer_id'): Map<string, unknown[]> {
  const groups = new Map<string, unknown[]>();
  for (const record of records) {
    const key = textField(record, field);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return groups;
}

function routeOf(apiPath: string | undefined): { endpoint: Endpoint; id?: string } {
  if (apiPath === '/contacts') return { endpoint: 'contacts' };
  if (apiPath === '/addresses') return { endpoint: 'addresses' };
  const match = apiPath?.match(/^\/(contacts|customers|addresses)\/([^/]+)$/);
  const [, collection, id] = match ?? [];
  if (id === undefined) return { endpoint: 'unknown' };
  const endpoint =
    collection === 'contacts' ? 'contact' : collection === 'customers' ? 'customer' : 'address';
  return { endpoint, id: decodedOrRaw(id) };
}

function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const RESOURCE_OF: Record<Endpoint, keyof Permissions | undefined> = {
  contacts: 'contacts',
  contact: 'contacts',
  customer: 'customers',
  addresses: 'addresses',
  address: 'addresses',
  unknown: undefined,
};

function checkOptions(options: QwotyServerOptions): void {
  const { latencyMs, port, token } = options;
  if (latencyMs !== undefined && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new TypeError(`Expected \`latencyMs\` to be a non-negative number, got ${String(latencyMs)}`);
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) {
    throw new TypeError('Expected `token` to be a non-empty string');
  }
}

/** Starts the API on `host:port` (default: a free loopback port) and resolves once it listens. */
export async function createQwotyServer(options: QwotyServerOptions = {}): Promise<QwotyServer> {
  checkOptions(options);
  const seed = options.seed ?? 1;
  const workspace = options.workspace ?? generateWorkspace({ contacts: options.contacts ?? 100, seed });
  const data = prepare(workspace);
  const token = options.token ?? DEMO_TOKEN;
  const permissions = options.permissions ?? {};
  const latencyMs = options.latencyMs ?? 0;
  const host = options.host ?? '127.0.0.1';
  let faults = createFaultPlan(options.faults ?? [], seed);
  const forbiddenIds = new Set(options.forbiddenIds ?? []);
  let answered = 0;
  let rateLimiter: ServerRateLimiter | undefined = options.rateLimit
    ? createServerRateLimiter(options.rateLimit)
    : undefined;

  let requests: RequestRecord[] = [];
  let counters = new Map<Endpoint, Map<number, number>>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const record = (entry: RequestRecord): void => {
    if (requests.length >= LOG_LIMIT) requests.splice(0, LOG_LIMIT / 2);
    requests.push(entry);
    const byStatus = counters.get(entry.endpoint) ?? new Map<number, number>();
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
    counters.set(entry.endpoint, byStatus);
  };

  const answer = (request: IncomingMessage, url: URL, route: { endpoint: Endpoint; id?: string }): Reply => {
    const authorization = request.headers.authorization;
    if (!authorization) {
      return failureReply(401, 'Missing API token: send the header Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    const presented = /^Bearer\s(.+)$/i.exec(authorization)?.[1]?.trim();
    answered += 1;
    const revoked = options.revokeTokenAfter !== undefined && answered > options.revokeTokenAfter;
    if (presented !== token || revoked) {
      return failureReply(401, 'Invalid API token', { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (route.endpoint === 'unknown') {
      return failureReply(404, `Not found: ${request.method ?? 'GET'} ${url.pathname}`);
    }
    if (request.method !== 'GET') {
      return failureReply(405, `Method ${request.method ?? ''} not allowed: this endpoint only answers GET`, {
        allow: 'GET',
      });
    }
    const resource = RESOURCE_OF[route.endpoint];
    if (
      (resource && permissions[resource] === false) ||
      (route.id !== undefined && forbiddenIds.has(route.id))
    ) {
      return failureReply(
        403,
        `This API token is not allowed to read ${route.id === undefined ? resource : 'this record'}`,
      );
    }
    const customerId = url.searchParams.get('customer_id');
    if (customerId !== null && !UUID.test(customerId)) {
      return failureReply(400, 'customer_id must be a UUID');
    }
    const found = (record: unknown, what: string): Reply =>
      record === undefined ? failureReply(404, `${what} not found`) : recordReply(record);
    const list = (all: readonly unknown[], body: Buffer, byCustomer: Map<string, unknown[]>): Reply => {
      const records = customerId === null ? all : (byCustomer.get(customerId) ?? []);
      if (options.pagination)
        return pageReply(records, url, `http://${request.headers.host ?? 'localhost'}`, options.pagination);
      return customerId === null ? okBody(body) : okBody(listBody(records));
    };
    switch (route.endpoint) {
      case 'contacts':
        return list(workspace.contacts, data.contactsBody, data.contactsByCustomer);
      case 'addresses':
        return list(workspace.addresses, data.addressesBody, data.addressesByCustomer);
      case 'contact':
        return found(data.contactById.get(route.id ?? ''), 'Contact');
      case 'customer':
        return found(data.customerById.get(route.id ?? ''), 'Customer');
      case 'address':
        return found(data.addressById.get(route.id ?? ''), 'Address');
    }
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.resume();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const apiPath = inApi ? url.pathname.slice(API_PREFIX.length) : undefined;
    const route = routeOf(apiPath);
    const fault = faults.take(apiPath ?? url.pathname);
    const hostile = options.hostile?.find((answer) => answer.path === apiPath);
    if (hostile && !fault && request.headers.authorization === `Bearer ${token}`) {
      record({
        method: request.method ?? '',
        path: `${url.pathname}${url.search}`,
        endpoint: route.endpoint,
        status: 200,
        fault: null,
        time: Date.now(),
      });
      sendHostile(response, hostile);
      return;
    }
    const limit = fault ? undefined : rateLimiter?.take(Date.now());
    const plain =
      (fault && replyOfFault(fault, Date.now())) ??
      (limit && !limit.allowed
        ? failureReply(429, 'Too many requests: workspace rate limit exceeded', limit.headers)
        : withHeaders(answer(request, url, route), limit?.headers));
    const reply =
      options.compress && /\bgzip\b/i.test(request.headers['accept-encoding'] ?? '') ? gzipped(plain) : plain;
    const resetsFirst = fault?.kind === 'reset' && fault.when !== 'midBody';
    record({
      method: request.method ?? '',
      path: `${url.pathname}${url.search}`,
      endpoint: route.endpoint,
      status: resetsFirst ? 0 : reply.status,
      fault: fault?.kind ?? null,
      time: Date.now(),
    });
    const deliver = () => send(response, reply, fault, later);
    if (latencyMs > 0) later(latencyMs, deliver);
    else deliver();
  };

  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      // A bug here must not stop the server that every test and the demo rely on: answer it as a 500.
      if (!response.headersSent) {
        const reply = failureReply(
          500,
          `Fake API bug: ${error instanceof Error ? error.message : String(error)}`,
        );
        response.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
        response.end(reply.body);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${hostInUrl}:${port}${API_PREFIX}`,
    port,
    token,
    workspace,
    get requests() {
      return requests;
    },
    count: (filter = {}) => {
      let total = 0;
      for (const [endpoint, byStatus] of counters) {
        if (filter.endpoint !== undefined && endpoint !== filter.endpoint) continue;
        for (const [status, value] of byStatus) {
          if (filter.status === undefined || status === filter.status) total += value;
        }
      }
      return total;
    },
    stats: () => {
      const result: ReturnType<QwotyServer['stats']> = { total: 0, byEndpoint: {}, byStatus: {} };
      for (const [endpoint, byStatus] of counters) {
        for (const [status, value] of byStatus) {
          result.total += value;
          result.byEndpoint[endpoint] = (result.byEndpoint[endpoint] ?? 0) + value;
          result.byStatus[status] = (result.byStatus[status] ?? 0) + value;
        }
      }
      return result;
    },
    resetStats: () => {
      requests = [];
      counters = new Map();
    },
    setFaults: (next) => {
      faults = createFaultPlan(next, seed);
    },
    setRateLimit: (spec) => {
      rateLimiter = spec ? createServerRateLimiter(spec) : undefined;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function gzipped(reply: Reply): Reply {
  return {
    ...reply,
    headers: { ...reply.headers, 'content-encoding': 'gzip', vary: 'accept-encoding' },
    body: gzipSync(reply.body),
  };
}

function withHeaders(reply: Reply, headers: Record<string, string> | undefined): Reply {
  return headers ? { ...reply, headers: { ...reply.headers, ...headers } } : reply;
}

function okBody(body: Buffer): Reply {
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body };
}

/** Sends the answer, spoiled as the fault says. */
function send(
  response: ServerResponse,
  reply: Reply,
  fault: Fault | undefined,
  later: (ms: number, action: () => void) => void,
): void {
  const { socket } = response;
  if (!socket || socket.destroyed) return;
  const withLength = { ...reply.headers, 'content-length': String(reply.body.length) };
  const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
  switch (fault?.kind) {
    case 'reset':
      if (fault.when === 'midBody') {
        response.writeHead(reply.status, withLength);
        response.write(half, () => socket.resetAndDestroy());
      } else {
        socket.resetAndDestroy();
      }
      return;
    case 'truncate':
      response.writeHead(reply.status, fault.encoding === 'chunked' ? reply.headers : withLength);
      response.write(half, () => socket.destroySoon());
      return;
    case 'slow':
      if (fault.mode === 'trickle') {
        response.writeHead(reply.status, withLength);
        trickle(response, reply.body, fault.delayMs, later);
      } else {
        later(fault.delayMs, () => send(response, reply, undefined, later));
      }
      return;
    default:
      response.writeHead(reply.status, withLength);
      response.end(reply.body);
  }
}

function trickle(
  response: ServerResponse,
  body: Buffer,
  totalMs: number,
  later: (ms: number, action: () => void) => void,
): void {
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
