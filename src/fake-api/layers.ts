/**
 * What stands in front of the route table, outermost first: the faults (a proxy in front of the API), the
 * workspace's rate limit, the bearer token; then, once a route is found, the token's permissions and the
 * query's checks. Each layer answers by itself or passes the request on; `createQwotyServer` stacks them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Fault, replyOfFault } from './faults.ts';
import { createServerRateLimiter, type RateLimitSpec, type ServerRateLimiter } from './limiters.ts';
import { failureReply, type Reply, withHeaders } from './replies.ts';
import type { Permissions, Route, RouteMatch } from './routes.ts';

/** A request as the layers see it. */
export interface ApiRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  match: RouteMatch;
  /** The fault that took it, if any: drawn before anything else, as a proxy in front of the API would. */
  fault: Fault | undefined;
}

/** A request whose path and method found their route. */
export interface RoutedRequest extends ApiRequest {
  route: Route;
}

export type Layer<R extends ApiRequest = ApiRequest> = (request: R, next: (request: R) => Reply) => Reply;

/** The layers in front of `last`, the first one outermost. */
export function stack<R extends ApiRequest>(
  layers: readonly Layer<R>[],
  last: (request: R) => Reply,
): (request: R) => Reply {
  return layers.reduceRight<(request: R) => Reply>((next, layer) => (request) => layer(request, next), last);
}

/** A fault that has its own answer gives it; one that only spoils the sending lets the API answer. */
export const faultLayer: Layer = (request, next) =>
  (request.fault && replyOfFault(request.fault, Date.now())) ?? next(request);

/**
 * Every request counts against the workspace's quota, with or without a valid token, except those a fault
 * took (the proxy answered them). Past the quota: 429; within it, the answer carries the quota's headers.
 */
export function createRateLimitLayer(spec: RateLimitSpec | undefined): {
  layer: Layer;
  /** Replaces the limit (undefined: none); its quota starts over. */
  set: (spec: RateLimitSpec | undefined) => void;
} {
  let limiter: ServerRateLimiter | undefined;
  const set = (next: RateLimitSpec | undefined) => {
    limiter = next ? createServerRateLimiter(next) : undefined;
  };
  set(spec);
  const layer: Layer = (request, next) => {
    if (request.fault || !limiter) return next(request);
    const limit = limiter.take(Date.now());
    if (!limit.allowed) {
      return failureReply(429, 'Too many requests: workspace rate limit exceeded', limit.headers);
    }
    return withHeaders(next(request), limit.headers);
  };
  return { layer, set };
}

/**
 * 401 without the token, or with another one; also 401 once `revokeAfter` requests carried one, as when a
 * token is revoked during a run.
 */
export function authLayer(token: string, revokeAfter: number | undefined): Layer {
  let presentedCount = 0;
  return (request, next) => {
    const { authorization } = request.headers;
    if (!authorization) {
      return failureReply(401, 'Missing API token: send the header Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer',
      });
    }
    const presented = /^Bearer\s(.+)$/i.exec(authorization)?.[1]?.trim();
    presentedCount += 1;
    const revoked = revokeAfter !== undefined && presentedCount > revokeAfter;
    if (presented !== token || revoked) {
      return failureReply(401, 'Invalid API token', { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    return next(request);
  };
}

/** 404 for a path no route names, 405 for a method its routes do not answer; else the route's layers. */
export function routeLayer(routed: (request: RoutedRequest) => Reply): (request: ApiRequest) => Reply {
  return (request) => {
    const { routes } = request.match;
    if (routes.length === 0) return failureReply(404, `Not found: ${request.method} ${request.url.pathname}`);
    const route = routes.find((candidate) => candidate.method === request.method);
    if (!route) {
      const allow = routes.map((candidate) => candidate.method).join(', ');
      return failureReply(405, `Method ${request.method} not allowed: this endpoint only answers ${allow}`, {
        allow,
      });
    }
    return routed({ ...request, route });
  };
}

/** 403 on a resource the token may not read, or on one of the records it may not read. */
export function permissionLayer(
  permissions: Permissions,
  forbiddenIds: ReadonlySet<string>,
): Layer<RoutedRequest> {
  return (request, next) => {
    const { resource } = request.route;
    const { id } = request.match;
    if (permissions[resource] === false || (id !== undefined && forbiddenIds.has(id))) {
      return failureReply(
        403,
        `This API token is not allowed to read ${id === undefined ? resource : 'this record'}`,
      );
    }
    return next(request);
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 400 when `customer_id` is given and is not a UUID. */
export const customerIdLayer: Layer<RoutedRequest> = (request, next) => {
  const customerId = request.url.searchParams.get('customer_id');
  return customerId !== null && !UUID.test(customerId)
    ? failureReply(400, 'customer_id must be a UUID')
    : next(request);
};

/** What the route's handler answers. */
export function answerRoute(request: RoutedRequest): Reply {
  return request.route.handle({
    url: request.url,
    origin: `http://${request.headers.host ?? 'localhost'}`,
    id: request.match.id,
    customerId: request.url.searchParams.get('customer_id'),
  });
}
