/**
 * An embedded, Qwoty-compatible HTTP API: what the pipeline, the demo, the tests and the benchmarks run
 * against without a token or a network. It answers the documented endpoints with the documented envelopes
 * (the route table, `routes.ts`), behind layers (`layers.ts`) that check the bearer token, the per-endpoint
 * permissions and the workspace's rate limit, and inject faults on demand (`faults.ts`).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createFaultPlan, type Fault, type Later, sendWithFault, statusSeen } from './faults.ts';
import { generateWorkspace } from './generate.ts';
import {
  type ApiRequest,
  answerRoute,
  authLayer,
  createRateLimitLayer,
  customerIdLayer,
  faultLayer,
  permissionLayer,
  routeLayer,
  stack,
} from './layers.ts';
import type { RateLimitSpec } from './limiters.ts';
import { failureReply, gzippedIfAccepted, sendReply } from './replies.ts';
import { createRequestLog, type RequestRecord, type RequestStats } from './request-log.ts';
import { createRoutes, type Endpoint, matchRoute, type Permissions, type Route } from './routes.ts';
import { type HostileAnswer, type Pagination, sendHostile } from './shapes.ts';
import type { WorkspaceData } from './workspace-index.ts';

export type { RequestRecord } from './request-log.ts';
export type { Endpoint, Permissions } from './routes.ts';
export type { WorkspaceData } from './workspace-index.ts';

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
  stats: () => RequestStats;
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

const API_PREFIX = '/api';

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
  const token = options.token ?? DEMO_TOKEN;
  const host = options.host ?? '127.0.0.1';
  const routes = createRoutes(workspace, options.pagination);
  const limits = createRateLimitLayer(options.rateLimit);
  const answer = stack(
    [faultLayer, limits.layer, authLayer(token, options.revokeTokenAfter)],
    routeLayer(
      stack(
        [permissionLayer(options.permissions ?? {}, new Set(options.forbiddenIds ?? [])), customerIdLayer],
        answerRoute,
      ),
    ),
  );
  let faults = createFaultPlan(options.faults ?? [], seed);
  const log = createRequestLog();
  const timers = createTimers();

  const handle = (incoming: IncomingMessage, response: ServerResponse): void => {
    incoming.resume();
    const { request, apiPath } = readRequest(incoming, routes);
    request.fault = faults.take(apiPath ?? request.url.pathname);
    const entry = {
      method: incoming.method ?? '',
      path: `${request.url.pathname}${request.url.search}`,
      endpoint: request.match.endpoint,
    };
    const hostile = hostileAnswer(options.hostile, apiPath, request, token);
    if (hostile) {
      log.record({ ...entry, status: 200, fault: null, time: Date.now() });
      sendHostile(response, hostile);
      return;
    }
    const plain = answer(request);
    const reply = options.compress ? gzippedIfAccepted(plain, incoming.headers) : plain;
    const { fault } = request;
    log.record({ ...entry, status: statusSeen(reply, fault), fault: fault?.kind ?? null, time: Date.now() });
    const deliver = () => sendWithFault(response, reply, fault, timers.later);
    if ((options.latencyMs ?? 0) > 0) timers.later(options.latencyMs ?? 0, deliver);
    else deliver();
  };

  const server = createServer(answeringBugs(handle));
  const port = await listen(server, options.port ?? 0, host);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${API_PREFIX}`,
    port,
    token,
    workspace,
    get requests() {
      return log.requests;
    },
    count: log.count,
    stats: log.stats,
    resetStats: log.reset,
    setFaults: (next) => {
      faults = createFaultPlan(next, seed);
    },
    setRateLimit: limits.set,
    close: async () => {
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The request as the layers see it, and its path below `/api` (undefined outside it). */
function readRequest(
  incoming: IncomingMessage,
  routes: readonly Route[],
): { request: ApiRequest; apiPath: string | undefined } {
  const url = new URL(incoming.url ?? '/', 'http://localhost');
  const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
  const apiPath = inApi ? url.pathname.slice(API_PREFIX.length) : undefined;
  const request: ApiRequest = {
    method: incoming.method ?? 'GET',
    url,
    headers: incoming.headers,
    match: matchRoute(routes, apiPath),
    fault: undefined,
  };
  return { request, apiPath };
}

/** The hostile answer armed for this path, sent only to the right token and when no fault took the request. */
function hostileAnswer(
  hostile: readonly HostileAnswer[] | undefined,
  apiPath: string | undefined,
  request: ApiRequest,
  token: string,
): HostileAnswer | undefined {
  if (request.fault || request.headers.authorization !== `Bearer ${token}`) return undefined;
  return hostile?.find((answer) => answer.path === apiPath);
}

/** A bug in the fake API must not stop the server that every test and the demo rely on: it answers 500. */
function answeringBugs(
  handle: (incoming: IncomingMessage, response: ServerResponse) => void,
): (incoming: IncomingMessage, response: ServerResponse) => void {
  return (incoming, response) => {
    try {
      handle(incoming, response);
    } catch (error) {
      if (!response.headersSent) {
        sendReply(
          response,
          failureReply(500, `Fake API bug: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
    }
  };
}

/** Timers for slow answers, all cancelled when the server closes. */
function createTimers(): { later: Later; clear: () => void } {
  const pending = new Set<NodeJS.Timeout>();
  return {
    later: (ms, action) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        action();
      }, ms);
      pending.add(timer);
    },
    clear: () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}

/** Listens and resolves with the port (the one chosen when 0 was asked). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
