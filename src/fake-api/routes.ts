/**
 * The endpoints of the embedded API, one line each in `createRoutes`: method, path, the resource a token needs
 * to read, and the handler. Adding an endpoint touches only that table; what stands in front of every
 * route (the token, the limits, the faults) is in `layers.ts`.
 */
import type { Buffer } from 'node:buffer';
import { failureReply, okBody, type Reply } from './replies.ts';
import { listBody, type Pagination, pageReply, recordReply } from './shapes.ts';
import { indexWorkspace, type WorkspaceData } from './workspace-index.ts';

/**
 * What a request asked for: `contacts` is `GET /contacts` (with or without `customer_id`), `contact` is
 * `GET /contacts/{id}`, and so on; `unknown` is any other path.
 */
export type Endpoint = 'contacts' | 'contact' | 'customer' | 'addresses' | 'address' | 'unknown';

/** What a token may read; `false` answers 403 on that resource's endpoints. */
export interface Permissions {
  contacts?: boolean | undefined;
  customers?: boolean | undefined;
  addresses?: boolean | undefined;
}

/** What a handler is given. */
export interface RouteRequest {
  url: URL;
  /** The server's own origin (`http://127.0.0.1:port`), for absolute links. */
  origin: string;
  /** The `{id}` segment of the path, percent-decoded. */
  id: string | undefined;
  /** The `customer_id` of the query, already checked to be a UUID. */
  customerId: string | null;
}

export interface Route {
  method: 'GET';
  /** The path below `/api`: exact, with `{id}` standing for one non-empty path segment. */
  path: string;
  endpoint: Exclude<Endpoint, 'unknown'>;
  /** The permission a token needs. */
  resource: keyof Permissions;
  handle: (request: RouteRequest) => Reply;
}

/** The documented endpoints, answering from `workspace`; lists paged as `pagination` says, if given. */
export function createRoutes(workspace: WorkspaceData, pagination: Pagination | undefined): readonly Route[] {
  const data = indexWorkspace(workspace);
  const list =
    (all: readonly unknown[], body: Buffer, byCustomer: Map<string, unknown[]>) =>
    ({ url, origin, customerId }: RouteRequest): Reply => {
      const records = customerId === null ? all : (byCustomer.get(customerId) ?? []);
      if (pagination) return pageReply(records, url, origin, pagination);
      return customerId === null ? okBody(body) : okBody(listBody(records));
    };
  const one =
    (byId: Map<string, unknown>, what: string) =>
    ({ id }: RouteRequest): Reply => {
      const record = byId.get(id ?? '');
      return record === undefined ? failureReply(404, `${what} not found`) : recordReply(record);
    };
  return [
    {
      method: 'GET',
      path: '/contacts',
      endpoint: 'contacts',
      resource: 'contacts',
      handle: list(workspace.contacts, data.contactsBody, data.contactsByCustomer),
    },
    {
      method: 'GET',
      path: '/contacts/{id}',
      endpoint: 'contact',
      resource: 'contacts',
      handle: one(data.contactById, 'Contact'),
    },
    {
      method: 'GET',
      path: '/customers/{id}',
      endpoint: 'customer',
      resource: 'customers',
      handle: one(data.customerById, 'Customer'),
    },
    {
      method: 'GET',
      path: '/addresses',
      endpoint: 'addresses',
      resource: 'addresses',
      handle: list(workspace.addresses, data.addressesBody, data.addressesByCustomer),
    },
    {
      method: 'GET',
      path: '/addresses/{id}',
      endpoint: 'address',
      resource: 'addresses',
      handle: one(data.addressById, 'Address'),
    },
  ];
}

/** The routes a path names, whatever their method, and its `{id}`; none for an unknown path. */
export interface RouteMatch {
  endpoint: Endpoint;
  routes: readonly Route[];
  id: string | undefined;
}

/** Matches a path below `/api` (undefined: a path outside it) against the table, segment by segment. */
export function matchRoute(routes: readonly Route[], apiPath: string | undefined): RouteMatch {
  const segments = apiPath?.split('/');
  let found: RouteMatch = { endpoint: 'unknown', routes: [], id: undefined };
  if (segments === undefined) return found;
  for (const route of routes) {
    const id = matchSegments(route.path.split('/'), segments);
    if (id === false) continue;
    if (found.routes.length === 0) found = { endpoint: route.endpoint, routes: [route], id };
    else if (route.path === found.routes[0]?.path) found.routes = [...found.routes, route];
  }
  return found;
}

/** The `{id}` of the path if it matches the pattern (undefined when the pattern has none), false if not. */
function matchSegments(pattern: readonly string[], path: readonly string[]): string | undefined | false {
  if (pattern.length !== path.length) return false;
  let id: string | undefined;
  for (const [index, want] of pattern.entries()) {
    const got = path[index] ?? '';
    if (want === '{id}' && got !== '') id = decodedOrRaw(got);
    else if (want !== got) return false;
  }
  return id;
}

function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
