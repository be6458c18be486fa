import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  BENT_CONTACT_KINDS,
  createQwotyServer,
  DEMO_TOKEN,
  generateWorkspace,
  INVALID_CONTACT_KINDS,
  type QwotyServer,
  SCENARIOS,
  type Workspace,
} from '../src/fake-api/index.ts';
import { normaliseContact } from '../src/pipeline/normalise.ts';
import { AddressSchema, ContactSchema, CustomerSchema } from '../src/shared/schema/api.ts';

const AUTH = { authorization: `Bearer ${DEMO_TOKEN}` };

/** A field of a raw record, read without trusting its shape. */
function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null ? Reflect.get(record, name) : undefined;
}

function texts(records: readonly unknown[], ...names: string[]): unknown[] {
  return records.flatMap((record) => names.map((name) => field(record, name)));
}

function get(server: QwotyServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { ...init, headers: { ...AUTH, ...init.headers } });
}

/** A GET with node:http, to see what arrived before the connection ended (fetch hides it). */
function rawGet(
  url: string,
): Promise<{ status: number; declared: number; received: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { headers: AUTH, agent: false }, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      response.on('error', () => {});
      response.on('close', () =>
        resolve({
          status: response.statusCode ?? 0,
          declared: Number(response.headers['content-length'] ?? Number.NaN),
          received,
          complete: response.complete,
        }),
      );
    });
    call.on('error', reject);
    call.end();
  });
}

describe('generateWorkspace', () => {
  const workspace = generateWorkspace({ contacts: 400, seed: 11 });
  const contactStrings = texts(workspace.contacts, 'first_name', 'last_name', 'email', 'phone');

  test('returns byte-identical JSON for the same seed and different JSON for another', () => {
    const again = generateWorkspace({ contacts: 400, seed: 11 });
    const other = generateWorkspace({ contacts: 400, seed: 12 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(workspace));
    expect(JSON.stringify(other.contacts)).not.toBe(JSON.stringify(workspace.contacts));
  });

  test('makes one customer per contactsPerCustomer contacts, each with one or two addresses', () => {
    expect(workspace.customers).toHaveLength(50);
    expect(generateWorkspace({ contacts: 100, contactsPerCustomer: 10 }).customers).toHaveLength(10);
    expect(generateWorkspace({ contacts: 0 })).toMatchObject({ contacts: [], customers: [], addresses: [] });
    const perCustomer = Map.groupBy(workspace.addresses, (address) => field(address, 'customer_id'));
    expect(perCustomer.size).toBe(50);
    for (const list of perCustomer.values()) expect([1, 2]).toContain(list.length);
    expect(new Set(texts(workspace.addresses, 'type'))).toEqual(new Set(['billing', 'shipping']));
  });

  test('makes records that all pass the API schemas', () => {
    for (const contact of workspace.contacts) expect(ContactSchema.safeParse(contact).error).toBeUndefined();
    for (const customer of workspace.customers)
      expect(CustomerSchema.safeParse(customer).error).toBeUndefined();
    for (const address of workspace.addresses) expect(AddressSchema.safeParse(address).error).toBeUndefined();
  });

  test('links contacts, customers and addresses by id', () => {
    const customerIds = new Set(texts(workspace.customers, 'id'));
    const addressCustomer = new Map(
      workspace.addresses.map((a) => [field(a, 'id'), field(a, 'customer_id')]),
    );
    for (const contact of workspace.contacts) {
      expect(customerIds.has(field(contact, 'customer_id'))).toBe(true);
      const addressIds = field(contact, 'address_ids');
      for (const id of Array.isArray(addressIds) ? addressIds : []) {
        // Rare dangling ids (an address deleted since) are allowed; the others belong to the same customer.
        if (addressCustomer.has(id)) expect(addressCustomer.get(id)).toBe(field(contact, 'customer_id'));
      }
    }
    const linked = workspace.addresses.filter((address) => field(address, 'contact_id') !== null);
    expect(linked.length).toBeGreaterThan(0);
  });

  test('breaks exactly `invalid` contacts, each in its own way, leaving the others unchanged', () => {
    const broken = generateWorkspace({ contacts: 400, seed: 11, invalid: INVALID_CONTACT_KINDS.length });
    const failing = broken.contacts.flatMap((contact, index) =>
      ContactSchema.safeParse(contact).success ? [] : [index],
    );
    expect(failing).toEqual(broken.invalidContacts.map(({ index }) => index));
    expect(new Set(broken.invalidContacts.map(({ kind }) => kind))).toEqual(new Set(INVALID_CONTACT_KINDS));
    const untouched = (w: Workspace) => w.contacts.filter((_, index) => !failing.includes(index));
    expect(JSON.stringify(untouched(broken))).toBe(JSON.stringify(untouched(workspace)));
  });

  test.each<[string, (values: unknown[]) => boolean]>([
    ['accented names', (v) => ['Zoë', 'Ñúñez', 'Łukasz', 'Müller'].every((name) => v.includes(name))],
    ['other scripts', (v) => ['山田', 'Παπαδόπουλος', 'العلي', 'Иванов'].every((name) => v.includes(name))],
    ['apostrophes and double quotes', (v) => v.includes("O'Brien") && v.includes('Robert "Bob"')],
    ['commas', (v) => v.includes('Dupont, Jr.')],
    ['line breaks', (v) => v.some((value) => typeof value === 'string' && /[\r\n]/.test(value))],
    [
      'formula-like text',
      (v) => ['=', '+', '-', '@'].every((c) => v.some((x) => typeof x === 'string' && x.startsWith(c))),
    ],
    ['markup', (v) => v.includes('<script>alert(1)</script>') && v.includes('<b>bold</b>')],
    [
      'phones in several formats',
      (v) => ['+33 6 12 34 56 78', '(555) 010-0199', '+49-30-1234567', null].every((p) => v.includes(p)),
    ],
    ['malformed emails', (v) => v.includes('jean.dupont@') && v.includes('not an email')],
  ])('contacts hold %s', (_what, holds) => {
    expect(holds(contactStrings)).toBe(true);
  });

  test('contacts hold null, duplicated and missing fields, unknown and empty roles, leading-zero ids', () => {
    const emails = texts(workspace.contacts, 'email');
    expect(emails).toContain(null);
    expect(emails.filter((email) => email === 'contact@acme.com').length).toBeGreaterThanOrEqual(2);
    const roles = texts(workspace.contacts, 'role').map((role) => JSON.stringify(role));
    expect(roles).toContain('["decision_maker"]');
    expect(roles).toContain('[]');
    expect(texts(workspace.contacts, 'id_crm')).toContain('000123');
    expect(workspace.contacts.some((contact) => field(contact, 'workspace_id') === undefined)).toBe(true);
    expect(workspace.contacts.some((contact) => field(contact, 'address_ids') === undefined)).toBe(true);
    expect(workspace.contacts.some((contact) => field(contact, 'locale') === 'fr-FR')).toBe(true);
  });

  test('customers hold hostile names, both types and sometimes no id lists', () => {
    const names = texts(workspace.customers, 'name');
    for (const name of [
      "Société Générale d'Équipement",
      'Acme, Inc.',
      'Müller & Söhne GmbH',
      '"Le Petit Bistro" SARL',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(texts(workspace.customers, 'type'))).toEqual(new Set(['company', 'individual']));
    expect(workspace.customers.some((customer) => field(customer, 'contact_ids') === undefined)).toBe(true);
    expect(
      texts(workspace.addresses, 'country').every((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c)),
    ).toBe(true);
  });

  test('bends exactly `bent` contacts, each in its own way, and each still passes the normalisation', () => {
    const bent = generateWorkspace({ contacts: 400, seed: 11, invalid: 4, bent: BENT_CONTACT_KINDS.length });
    const failing = bent.contacts.flatMap((contact, index) =>
      ContactSchema.safeParse(contact).success ? [] : [index],
    );
    const expected = [...bent.invalidContacts, ...bent.bentContacts]
      .filter(({ kind }) => kind !== 'no name and no email')
      .map(({ index }) => index)
      .sort((a, b) => a - b);
    expect(failing).toEqual(expected);
    expect(new Set(bent.bentContacts.map(({ kind }) => kind))).toEqual(new Set(BENT_CONTACT_KINDS));
    for (const { index } of bent.bentContacts) expect(normaliseContact(bent.contacts[index]).ok).toBe(true);
    for (const { index } of bent.invalidContacts)
      expect(normaliseContact(bent.contacts[index]).ok).toBe(false);
  });

  test('rejects options that are not counts', () => {
    expect(() => generateWorkspace({ contacts: -1 })).toThrow(
      'Expected `contacts` to be a non-negative integer',
    );
    expect(() => generateWorkspace({ contacts: 5, invalid: 6 })).toThrow('at most `contacts`');
    expect(() => generateWorkspace({ contacts: 5, contactsPerCustomer: 0 })).toThrow('`contactsPerCustomer`');
  });

  test('generates 100,000 contacts and 12,500 customers in a few seconds of CPU', () => {
    // A guard against an accidental quadratic, not a speed target (speed is `npm run bench`'s): about
    // 1-1.5 s of CPU on a quiet machine, nearer 2 s on a first run under load, where CI once measured
    // 2.0 s against the old bound of 2 s. CPU time rather than wall time: other test files share the machine.
    const before = process.cpuUsage();
    const large = generateWorkspace({ contacts: 100_000 });
    const used = process.cpuUsage(before);
    expect(large.contacts).toHaveLength(100_000);
    expect(large.customers).toHaveLength(12_500);
    expect((used.user + used.system) / 1000).toBeLessThan(6000);
  });
});

describe('createQwotyServer', () => {
  const workspace = generateWorkspace({ contacts: 200, seed: 5, invalid: 3 });
  const customerId = String(field(workspace.customers[0], 'id'));
  let server: QwotyServer;

  beforeAll(async () => {
    server = await createQwotyServer({ workspace });
  });
  afterAll(() => server.close());
  beforeEach(() => server.resetStats());

  test('listens on loopback under /api', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    expect(server.port).toBeGreaterThan(0);
  });

  test('answers GET /contacts with the success envelope, JSON and an exact content-length', async () => {
    const response = await get(server, '/contacts');
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    expect(body).toBe(JSON.stringify({ success: true, data: workspace.contacts }));
  });

  test.each([
    ['missing', {}],
    ['wrong', { authorization: 'Bearer not-the-token' }],
    ['not a bearer token', { authorization: `Basic ${DEMO_TOKEN}` }],
  ])('returns 401 with the failure envelope when the token is %s', async (_what, headers) => {
    const response = await fetch(`${server.url}/contacts`, { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ success: false, error: expect.any(String) });
  });

  test('filters contacts and addresses by customer_id', async () => {
    for (const path of ['/contacts', '/addresses'] as const) {
      const response = await get(server, `${path}?customer_id=${customerId}`);
      const { data } = await response.json();
      const all = path === '/contacts' ? workspace.contacts : workspace.addresses;
      expect(data).toEqual(all.filter((record) => field(record, 'customer_id') === customerId));
      expect(data.length).toBeGreaterThan(0);
    }
  });

  test('returns an empty list for a customer_id nobody has', async () => {
    const response = await get(server, '/contacts?customer_id=00000000-0000-4000-8000-000000000000');
    expect(await response.json()).toEqual({ success: true, data: [] });
  });

  test.each(['/contacts', '/addresses'])('returns 400 when customer_id is not a UUID on %s', async (path) => {
    const response = await get(server, `${path}?customer_id=42`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, error: 'customer_id must be a UUID' });
  });

  test.each([
    ['contacts', 'contacts'],
    ['customers', 'customers'],
    ['addresses', 'addresses'],
  ] as const)('returns one record of /%s/{id}', async (path, collection) => {
    const record = workspace[collection][7];
    const response = await get(server, `/${path}/${String(field(record, 'id'))}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: record });
  });

  test.each([
    '/contacts/00000000-0000-4000-8000-000000000000',
    '/customers/not-an-id',
    '/addresses/00000000-0000-4000-8000-000000000000',
    '/customers',
    '/nothing',
    '/contacts/',
  ])('returns 404 with the failure envelope for %s', async (path) => {
    const response = await get(server, path);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ success: false });
  });

  test('returns 405 for methods other than GET', async () => {
    const response = await get(server, '/contacts', { method: 'POST', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(await response.json()).toMatchObject({ success: false });
  });

  test('counts requests per endpoint and status', async () => {
    await (await get(server, '/contacts')).arrayBuffer();
    await (await get(server, `/customers/${customerId}`)).arrayBuffer();
    await (await fetch(`${server.url}/contacts`)).arrayBuffer();
    expect(server.count()).toBe(3);
    expect(server.count({ endpoint: 'contacts' })).toBe(2);
    expect(server.count({ endpoint: 'contacts', status: 401 })).toBe(1);
    expect(server.stats()).toEqual({
      total: 3,
      byEndpoint: { contacts: 2, customer: 1 },
      byStatus: { 200: 2, 401: 1 },
    });
    expect(server.requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: '/api/contacts', status: 200 },
      { method: 'GET', path: `/api/customers/${customerId}`, status: 200 },
      { method: 'GET', path: '/api/contacts', status: 401 },
    ]);
  });

  test('returns 403 on customers and addresses when the token lacks those permissions', async () => {
    const limited = await createQwotyServer({
      workspace,
      permissions: { customers: false, addresses: false },
    });
    try {
      expect((await get(limited, '/contacts')).status).toBe(200);
      for (const path of [`/customers/${customerId}`, '/addresses']) {
        const response = await get(limited, path);
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({
          success: false,
          error: expect.stringContaining('not allowed'),
        });
      }
    } finally {
      await limited.close();
    }
  });

  test('uses its own token and generates a workspace when given none', async () => {
    const own = await createQwotyServer({ contacts: 16, seed: 3, token: 'qwt_prod_secret' });
    try {
      expect(own.workspace.contacts).toHaveLength(16);
      expect((await get(own, '/contacts')).status).toBe(401);
      const response = await fetch(`${own.url}/contacts`, {
        headers: { authorization: 'Bearer qwt_prod_secret' },
      });
      expect((await response.json()).data).toHaveLength(16);
    } finally {
      await own.close();
    }
  });

  test('rejects invalid options with a message naming them', async () => {
    await expect(createQwotyServer({ latencyMs: -1 })).rejects.toThrow('Expected `latencyMs`');
    // @ts-expect-error: a kind that does not exist
    await expect(createQwotyServer({ faults: [{ kind: 'explode' }] })).rejects.toThrow('`faults[0].kind`');
    await expect(createQwotyServer({ faults: [{ kind: 'html200', times: -2 }] })).rejects.toThrow(
      '`faults[0].times` to be a non-negative integer',
    );
  });
});

describe('faults', () => {
  const workspace = generateWorkspace({ contacts: 40, seed: 9 });
  const customerId = String(field(workspace.customers[0], 'id'));
  let server: QwotyServer;

  beforeAll(async () => {
    server = await createQwotyServer({ workspace });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.setFaults([]);
    server.resetStats();
  });

  test('rateLimit answers 429 with Retry-After in seconds for the first `times` requests only', async () => {
    server.setFaults([{ path: '/contacts', kind: 'rateLimit', times: 2, retryAfter: 1 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await get(server, '/contacts');
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('1');
        expect(await response.json()).toEqual({ success: false, error: expect.any(String) });
      } else await response.arrayBuffer();
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(server.count({ endpoint: 'contacts', status: 429 })).toBe(2);
  });

  test('rateLimit can send Retry-After as an HTTP date, or no header and an empty body', async () => {
    server.setFaults([
      { path: '/contacts', kind: 'rateLimit', times: 1, retryAfter: 2, retryAfterFormat: 'date' },
      { path: '/contacts', kind: 'rateLimit', times: 1, body: 'empty' },
    ]);
    const dated = await get(server, '/contacts');
    const date = Date.parse(dated.headers.get('retry-after') ?? '');
    expect(dated.status).toBe(429);
    expect(dated.headers.get('retry-after')).toMatch(/GMT$/);
    expect(date).toBeGreaterThanOrEqual(Date.now() + 1000);
    await dated.arrayBuffer();
    const bare = await get(server, '/contacts');
    expect(bare.status).toBe(429);
    expect(bare.headers.get('retry-after')).toBeNull();
    expect(await bare.text()).toBe('');
  });

  test('serverError answers a proxy HTML page or the JSON envelope, with the chosen status', async () => {
    server.setFaults([
      { kind: 'serverError', status: 502, body: 'html', times: 1 },
      { kind: 'serverError', status: 503, retryAfter: 3, times: 1 },
      { kind: 'serverError', times: 1 },
    ]);
    const html = await get(server, '/contacts');
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await html.text()).toContain('<h1>502 Bad Gateway</h1>');
    const unavailable = await get(server, '/contacts');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('3');
    expect(await unavailable.json()).toMatchObject({ success: false });
    expect((await get(server, '/contacts')).status).toBe(500);
  });

  test('reset before headers makes fetch reject and is counted with status 0', async () => {
    server.setFaults([{ path: '/contacts', kind: 'reset', times: 1 }]);
    await expect(get(server, '/contacts')).rejects.toThrow();
    expect(server.count({ status: 0 })).toBe(1);
    expect((await get(server, '/contacts')).status).toBe(200);
  });

  test('reset mid-body sends the headers, then reading the body rejects', async () => {
    server.setFaults([{ kind: 'reset', when: 'midBody', times: 1 }]);
    const response = await get(server, '/contacts');
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  test('truncate declares the full content-length but closes after half the body', async () => {
    server.setFaults([{ kind: 'truncate', times: 2 }]);
    const raw = await rawGet(`${server.url}/contacts`);
    expect(raw.status).toBe(200);
    expect(raw.complete).toBe(false);
    expect(raw.received).toBe(Math.floor(raw.declared / 2));
    const response = await get(server, '/contacts');
    await expect(response.text()).rejects.toThrow();
  });

  test('truncate with a chunked body ends before its last chunk, and reading it rejects', async () => {
    server.setFaults([{ kind: 'truncate', encoding: 'chunked', times: 1 }]);
    const response = await get(server, '/contacts');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.headers.get('content-length')).toBeNull();
    await expect(response.text()).rejects.toThrow();
  });

  test('slow delays the headers by delayMs', async () => {
    server.setFaults([{ kind: 'slow', delayMs: 150, times: 1 }]);
    const started = performance.now();
    const response = await get(server, '/contacts');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect((await response.json()).data).toHaveLength(40);
  });

  test('slow trickle sends the headers at once and the whole body over delayMs', async () => {
    server.setFaults([{ kind: 'slow', mode: 'trickle', delayMs: 180, times: 1 }]);
    const started = performance.now();
    const response = await get(server, '/contacts');
    const body = await response.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(160);
    expect(body).toBe(JSON.stringify({ success: true, data: workspace.contacts }));
  });

  test.each([
    ['html200', 'text/html; charset=utf-8', (body: string) => expect(body).toMatch(/^<!DOCTYPE html>/)],
    [
      'successFalse',
      'application/json; charset=utf-8',
      (body: string) => expect(JSON.parse(body)).toEqual({ success: false, error: expect.any(String) }),
    ],
    [
      'notJson',
      'application/json; charset=utf-8',
      (body: string) => expect(() => JSON.parse(body)).toThrow(),
    ],
  ] as const)('%s answers 200 with %s that is not a success envelope', async (kind, type, check) => {
    server.setFaults([{ kind, times: 1 }]);
    const response = await get(server, '/contacts');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    check(await response.text());
  });

  test('a path pattern with * hits only the matching endpoint, and faults act before the token check', async () => {
    server.setFaults([{ path: '/customers/*', kind: 'serverError' }]);
    expect((await get(server, `/customers/${customerId}`)).status).toBe(500);
    expect((await fetch(`${server.url}/customers/${customerId}`)).status).toBe(500);
    expect((await get(server, '/addresses')).status).toBe(200);
  });

  test('probability picks the same requests on every run with the same seed', async () => {
    const run = async (): Promise<number[]> => {
      server.setFaults([{ kind: 'serverError', probability: 0.5 }]);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await get(server, `/customers/${customerId}`)).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
  });

  test('faults given at creation and latencyMs apply from the first request', async () => {
    const faulty = await createQwotyServer({
      workspace,
      latencyMs: 60,
      faults: [{ path: '/addresses', kind: 'successFalse', error: 'Workspace locked' }],
    });
    try {
      const started = performance.now();
      const response = await get(faulty, '/addresses');
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
      expect(await response.json()).toEqual({ success: false, error: 'Workspace locked' });
      expect(faulty.requests[0]).toMatchObject({ endpoint: 'addresses', status: 200, fault: 'successFalse' });
    } finally {
      await faulty.close();
    }
  });

  test('close ends pending slow answers', async () => {
    const stalled = await createQwotyServer({ workspace, faults: [{ kind: 'slow', delayMs: 60_000 }] });
    const pending = get(stalled, '/contacts');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await stalled.close();
    await expect(pending).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('shapes', () => {
  const workspace = generateWorkspace({ contacts: 250, seed: 5 });

  async function withServer<T>(
    options: Parameters<typeof createQwotyServer>[0],
    use: (server: QwotyServer) => Promise<T>,
  ) {
    const server = await createQwotyServer({ workspace, ...options });
    try {
      return await use(server);
    } finally {
      await server.close();
    }
  }

  test('pages /contacts with links.next, a Link header, meta.total and X-Total-Count', async () => {
    await withServer(
      { pagination: { perPage: 100, next: ['links-next', 'link-header'] } },
      async (server) => {
        const third = await get(server, '/contacts?page=3');
        const body = await third.json();
        expect(body.data).toEqual(workspace.contacts.slice(200, 250));
        expect(body.links.next).toBeNull();
        expect(body.meta).toEqual({ total: 250 });
        expect(third.headers.get('x-total-count')).toBe('250');
        expect(third.headers.get('link')).toBeNull();
        const first = await get(server, '/contacts');
        expect(first.headers.get('link')).toBe(
          `<${server.url}/contacts?page=2>; rel="next", <${server.url}/contacts?page=1>; rel="first"`,
        );
      },
    );
  });

  test('pages with a cursor, and ignores the page when told to repeat it', async () => {
    await withServer({ pagination: { perPage: 100, next: ['cursor'] } }, async (server) => {
      const body = await (await get(server, '/contacts?cursor=c100')).json();
      expect(body).toMatchObject({ has_more: true, next_cursor: 'c200' });
      expect(body.data).toEqual(workspace.contacts.slice(100, 200));
    });
    await withServer({ pagination: { perPage: 100, defect: 'repeat' } }, async (server) => {
      const body = await (await get(server, '/contacts?page=2')).json();
      expect(body.data).toEqual(workspace.contacts.slice(0, 100));
    });
  });

  test('sends a gzip bomb that inflates to the size asked for, in one unfinished string', async () => {
    const hostile = [{ kind: 'gzipBomb', path: '/addresses', inflatedBytes: 40 * 1024 * 1024 }] as const;
    await withServer({ hostile }, async (server) => {
      // node:http, not fetch(): fetch() would inflate the body itself.
      const gzipped = await new Promise<Buffer>((resolve, reject) => {
        request(`${server.url}/addresses`, { headers: AUTH }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(Buffer.concat(chunks)));
        })
          .on('error', reject)
          .end();
      });
      expect(gzipped.length).toBeLessThan(200 * 1024);
      const inflated = gunzipSync(gzipped);
      expect(inflated.length).toBeGreaterThan(40 * 1024 * 1024);
      expect(inflated.subarray(0, 24).toString()).toBe('{"success":true,"data":[');
      expect(inflated.subarray(-3).toString()).toBe('AAA');
    });
  });

  test('answers 403 for one record the token may not read, and 401 once the token is revoked', async () => {
    const [first, second] = workspace.customers.map((customer) => String(field(customer, 'id')));
    await withServer({ forbiddenIds: [first ?? ''], revokeTokenAfter: 2 }, async (server) => {
      expect((await get(server, `/customers/${first}`)).status).toBe(403);
      expect((await get(server, `/customers/${second}`)).status).toBe(200);
      expect((await get(server, `/customers/${second}`)).status).toBe(401);
    });
  });

  test('serves every named scenario', async () => {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      await withServer(scenario.apply(generateWorkspace({ contacts: 30, seed: 2 })), async (server) => {
        expect(
          (await get(server, `/customers/${field(server.workspace.customers[5], 'id')}`)).status,
          name,
        ).toBeLessThan(500);
      });
    }
  });
});
