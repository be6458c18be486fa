/**
 * The embedded API's route table and the layers in front of it (src/fake-api/routes.ts, layers.ts): which
 * path names which endpoint, and in which order the faults, the quota, the token, the route, the permissions
 * and the query are checked, each decided by the one in front.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { createRoutes, matchRoute } from '../src/fake-api/routes.ts';
import { createQwotyServer, type QwotyServer, type QwotyServerOptions } from '../src/fake-api/server.ts';

const TOKEN = 'routes-test-token';
const ROUTES = createRoutes(generateWorkspace({ contacts: 4, seed: 2 }), undefined);

describe('matchRoute', () => {
  test.each([
    ['/contacts', 'contacts', undefined],
    ['/addresses', 'addresses', undefined],
    ['/contacts/abc', 'contact', 'abc'],
    ['/customers/a%20b', 'customer', 'a b'],
    ['/addresses/%E0%A4%A', 'address', '%E0%A4%A'],
    ['/contacts/', 'unknown', undefined],
    ['/contacts/a/b', 'unknown', undefined],
    ['/customers', 'unknown', undefined],
    ['/contacts/abc/', 'unknown', undefined],
    ['', 'unknown', undefined],
    [undefined, 'unknown', undefined],
  ] as const)('%s is %s, with the id %s', (path, endpoint, id) => {
    const match = matchRoute(ROUTES, path);
    expect({ endpoint: match.endpoint, id: match.id }).toEqual({ endpoint, id });
    expect(match.routes.length).toBe(endpoint === 'unknown' ? 0 : 1);
  });
});

describe('the layers in front of the routes', () => {
  let server: QwotyServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function status(path: string, init: RequestInit & { token?: string | null } = {}): Promise<number> {
    if (!server) throw new Error('no server');
    const { token = TOKEN, ...rest } = init;
    const headers = token === null ? {} : { authorization: `Bearer ${token}` };
    const response = await fetch(`${server.url}${path}`, { ...rest, headers });
    await response.arrayBuffer();
    return response.status;
  }

  async function serve(options: QwotyServerOptions = {}): Promise<QwotyServer> {
    server = await createQwotyServer({ contacts: 8, token: TOKEN, ...options });
    return server;
  }

  test('checks the token before the route: 401 on an unknown path, then 404, then 405', async () => {
    await serve();
    expect(await status('/nothing', { token: null })).toBe(401);
    expect(await status('/nothing', { token: 'wrong' })).toBe(401);
    expect(await status('/nothing')).toBe(404);
    expect(await status('/contacts', { method: 'POST', body: '{}' })).toBe(405);
  });

  test('counts a request without the token against the quota, but not one a fault took', async () => {
    await serve({
      rateLimit: { kind: 'window', limit: 2, windowMs: 60_000 },
      faults: [{ path: '/addresses', kind: 'serverError', times: 3 }],
    });
    expect([await status('/addresses'), await status('/addresses'), await status('/addresses')]).toEqual([
      500, 500, 500,
    ]);
    expect(await status('/contacts', { token: null })).toBe(401);
    expect(await status('/contacts')).toBe(200);
    expect(await status('/contacts')).toBe(429);
  });

  test('checks permissions before the query and before looking the record up', async () => {
    const { workspace } = await serve({ permissions: { contacts: false } });
    const customer = (workspace.customers[0] as { id: string }).id;
    expect(await status('/contacts?customer_id=nope')).toBe(403);
    expect(await status('/contacts/00000000-0000-4000-8000-000000000000')).toBe(403);
    expect(await status('/addresses?customer_id=nope')).toBe(400);
    expect(await status(`/customers/${customer}?customer_id=nope`)).toBe(400);
    expect(await status(`/customers/${customer}`)).toBe(200);
  });

  test('answers 403 for a forbidden id even when no record has it', async () => {
    await serve({ forbiddenIds: ['ghost'] });
    expect(await status('/customers/ghost')).toBe(403);
    expect(await status('/customers/other-ghost')).toBe(404);
  });
});
