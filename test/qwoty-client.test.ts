import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Fault } from '../src/fake-api/faults.ts';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';
import { createQwotyClient, type QwotyClientOptions, type RetryEvent } from '../src/pipeline/qwoty-client.ts';
import { parseRetryAfter } from '../src/pipeline/rate-limit-headers.ts';
import { ApiError, ConfigError, ExitCode } from '../src/shared/errors.ts';

const TOKEN = 'qwoty_live_test_token_0123456789abcdef';
let server: QwotyServer;

beforeAll(async () => {
  server = await createQwotyServer({ contacts: 40, seed: 7, token: TOKEN });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setFaults([]);
  server.resetStats();
});

function client(options: Partial<QwotyClientOptions> = {}) {
  const retries: RetryEvent[] = [];
  const instance = createQwotyClient({
    baseUrl: server.url,
    token: TOKEN,
    retries: 3,
    minRetryDelayMs: 5,
    maxRetryDelayMs: 2_000,
    timeoutMs: 2_000,
    onRetry: (event) => retries.push(event),
    ...options,
  });
  return Object.assign(instance, { retryEvents: retries });
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).message).not.toContain(TOKEN);
  return error as ApiError;
}

const contactsPath = '/contacts';

describe('createQwotyClient', () => {
  test('returns the envelope data and sends the bearer token', async () => {
    const data = await client().get(contactsPath);
    expect(Array.isArray(data)).toBe(true);
    expect(data).toHaveLength(40);
    expect(server.count({ endpoint: 'contacts', status: 200 })).toBe(1);
  });

  test('passes query parameters', async () => {
    const [first] = server.workspace.contacts as { customer_id: string }[];
    const data = (await client().get(contactsPath, { customer_id: first?.customer_id })) as {
      customer_id: string;
    }[];
    expect(data.length).toBeGreaterThan(0);
    expect(new Set(data.map((contact) => contact.customer_id))).toEqual(new Set([first?.customer_id]));
  });

  test.each([
    ['401 for a wrong token', { token: 'wrong-token' }, contactsPath, 401, ExitCode.auth],
    [
      '404 for an unknown customer',
      {},
      '/customers/00000000-0000-4000-8000-000000000000',
      404,
      ExitCode.unavailable,
    ],
    ['400 for a malformed filter', {}, '/contacts?customer_id=nope', 400, ExitCode.unavailable],
  ])(
    'does not retry %s, and names method, URL and status',
    async (_name, options, path, status, exitCode) => {
      const [pathname, search] = path.split('?');
      const query = Object.fromEntries(new URLSearchParams(search ?? ''));
      const error = await failure(client(options).get(pathname ?? '', query));
      expect(error.status).toBe(status);
      expect(error.exitCode).toBe(exitCode);
      expect(error.message).toMatch(new RegExp(`^GET ${server.url}/[^ ]+ answered ${status}`));
      expect(server.requests).toHaveLength(1);
    },
  );

  test('does not follow a redirect (the token goes nowhere else), and says which QWOTY_API_URL to set', async () => {
    let requests = 0;
    const redirecting = createServer((_request, response) => {
      requests += 1;
      response.writeHead(301, { location: 'https://app.qwoty.example/api/contacts' });
      response.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const { port } = redirecting.address() as AddressInfo;
    try {
      const error = await client({ baseUrl: `http://127.0.0.1:${port}/api` })
        .get(contactsPath)
        .catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ exitCode: ExitCode.config });
      expect((error as Error).message).toMatch(
        /answered 301 Moved Permanently, redirecting to https:\/\/app\.qwoty\.example\/api\/contacts; .*set QWOTY_API_URL=https:\/\/app\.qwoty\.example\/api if/,
      );
      expect((error as Error).message).not.toMatch(/try again later/);
      expect(requests).toBe(1);
    } finally {
      redirecting.close();
    }
  });

  test('refuses plain http to an address that is not loopback, before sending anything', () => {
    expect(() => createQwotyClient({ baseUrl: 'http://qwoty.app/api', token: TOKEN })).toThrow(
      /Expected `baseUrl` to use https/,
    );
  });

  test.each([
    'http://app.localhost/api',
    'http://127.0.0.1.nip.io/api',
    'http://localhost./api',
    'http://[::ffff:127.0.0.1]/api',
  ])('refuses plain http to %s: only a literal loopback address counts', (baseUrl) => {
    expect(() => createQwotyClient({ baseUrl, token: TOKEN })).toThrow(/Expected `baseUrl` to use https/);
  });

  test.each([
    'http://localhost:8787/api',
    'http://127.0.0.1/api',
    'http://127.1.2.3/api',
    'http://[::1]:8787/api',
  ])('accepts plain http to the loopback address %s', (baseUrl) => {
    expect(() => createQwotyClient({ baseUrl, token: TOKEN })).not.toThrow();
  });

  describe('an HTML error page', () => {
    async function pageServer(body: string) {
      const html = createServer((_request, response) => {
        response.writeHead(503, { 'content-type': 'text/html' });
        response.end(body);
      });
      await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
      const { port } = html.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/api`, close: () => html.close() };
    }

    test('is named by the title in its head', async () => {
      const page = await pageServer(
        `<html><head><title lang="en">  Service Unavailable </title></head><body>${'x'.repeat(8_000)}<title>late</title></body></html>`,
      );
      try {
        const error = await failure(client({ baseUrl: page.url, retries: 0 }).get(contactsPath));
        expect(error.message).toContain('(an HTML page: "Service Unavailable")');
      } finally {
        page.close();
      }
    });

    test('of 200 KB built to make a title search backtrack costs under 100 ms of work', async () => {
      // Every "<title" without its ">" made /<title[^>]*>/ scan to the end again: 200 KB took seconds, during
      // which no timeout could fire.
      const hostile = `<html>${'<title'.repeat(34_000)}`;
      const warmUp = await pageServer('<html><title>warm-up</title>');
      const page = await pageServer(hostile);
      try {
        await failure(client({ baseUrl: warmUp.url, retries: 0, timeoutMs: 1_000 }).get(contactsPath));
        const before = process.cpuUsage();
        const started = performance.now();
        const error = await failure(
          client({ baseUrl: page.url, retries: 0, timeoutMs: 1_000 }).get(contactsPath),
        );
        const { user, system } = process.cpuUsage(before);
        expect(error.message).toMatch(/answered 503 .*\(an HTML page\)/);
        expect((user + system) / 1_000).toBeLessThan(100);
        expect(performance.now() - started).toBeLessThan(1_000);
      } finally {
        warmUp.close();
        page.close();
      }
    });
  });

  test('does not retry a 403, and reports it as an authentication failure', async () => {
    const restricted = await createQwotyServer({
      contacts: 5,
      token: TOKEN,
      permissions: { contacts: false },
    });
    try {
      const error = await failure(
        createQwotyClient({ baseUrl: restricted.url, token: TOKEN }).get(contactsPath),
      );
      expect(error).toMatchObject({ status: 403, exitCode: ExitCode.auth });
      expect(restricted.requests).toHaveLength(1);
    } finally {
      await restricted.close();
    }
  });

  const recoverable: [string, Fault][] = [
    ['a 429 without Retry-After', { kind: 'rateLimit', times: 2 }],
    ['a 429 with an empty body', { kind: 'rateLimit', times: 1, body: 'empty' }],
    ['a 500 with the failure envelope', { kind: 'serverError', times: 2 }],
    ['a 502 HTML page from a proxy', { kind: 'serverError', status: 502, body: 'html', times: 1 }],
    ['a 503', { kind: 'serverError', status: 503, times: 1 }],
    ['a reset before the headers', { kind: 'reset', times: 2 }],
    ['a reset in the middle of the body', { kind: 'reset', when: 'midBody', times: 1 }],
    ['a body cut short of its content-length', { kind: 'truncate', times: 1 }],
    ['a chunked body that never ends properly', { kind: 'truncate', encoding: 'chunked', times: 1 }],
    ['a 200 HTML login page', { kind: 'html200', times: 1 }],
    ['a 200 body that is not JSON', { kind: 'notJson', times: 1 }],
    ['headers later than the timeout', { kind: 'slow', delayMs: 600, times: 1 }],
    ['a body trickling past the timeout', { kind: 'slow', delayMs: 600, mode: 'trickle', times: 1 }],
  ];
  test.each(recoverable)('retries %s and then succeeds', async (_name, fault) => {
    server.setFaults([{ path: contactsPath, ...fault }]);
    const api = client({ timeoutMs: 300 });
    const data = await api.get(contactsPath);
    expect(data).toHaveLength(40);
    const failures = fault.times ?? 1;
    expect(api.stats).toEqual({ requests: failures + 1, retries: failures });
    expect(api.retryEvents.map((event) => event.attempt)).toEqual(
      Array.from({ length: failures }, (_, i) => i + 1),
    );
  });

  test('waits as long as Retry-After asks, in seconds', async () => {
    server.setFaults([{ path: contactsPath, kind: 'rateLimit', times: 1, retryAfter: 1 }]);
    const api = client();
    const started = performance.now();
    await api.get(contactsPath);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.retryEvents[0]?.delayMs).toBeGreaterThanOrEqual(1000);
  });

  test('waits as long as Retry-After asks, as an HTTP date', async () => {
    server.setFaults([
      { path: contactsPath, kind: 'rateLimit', times: 1, retryAfter: 2, retryAfterFormat: 'date' },
    ]);
    const api = client();
    const started = performance.now();
    await api.get(contactsPath);
    // An HTTP date has whole seconds: "2 s ahead" is between 1 and 2 s away.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  test('takes Retry-After: 0 as no hint and backs off as usual', async () => {
    server.setFaults([{ path: contactsPath, kind: 'rateLimit', times: 1, retryAfter: 0 }]);
    const api = client();
    await api.get(contactsPath);
    expect(api.retryEvents[0]?.delayMs).toBeLessThan(100);
  });

  test('clamps a Retry-After longer than the longest delay', async () => {
    server.setFaults([{ path: contactsPath, kind: 'rateLimit', times: 1, retryAfter: 3600 }]);
    const api = client({ maxRetryDelayMs: 300 });
    const started = performance.now();
    await api.get(contactsPath);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  test('gives up after the retries, saying how many attempts it made', async () => {
    server.setFaults([{ path: contactsPath, kind: 'serverError', status: 503 }]);
    const error = await failure(client({ retries: 2 }).get(contactsPath));
    expect(error.message).toMatch(/answered 503.*\(gave up after 3 attempts\)$/);
    expect(error.exitCode).toBe(ExitCode.unavailable);
    expect(server.count({ endpoint: 'contacts' })).toBe(3);
  });

  test('says an HTML answer is an HTML page, with its title', async () => {
    server.setFaults([{ path: contactsPath, kind: 'html200' }]);
    const error = await failure(client({ retries: 0 }).get(contactsPath));
    expect(error.message).toMatch(/answered 200 with a body that is not JSON \(an HTML page/);
  });

  test('does not retry a 200 whose envelope says success: false, and quotes its error', async () => {
    server.setFaults([{ path: contactsPath, kind: 'successFalse', error: 'Workspace suspended' }]);
    const error = await failure(client().get(contactsPath));
    expect(error.message).toMatch(/answered 200 but reported a failure: Workspace suspended/);
    expect(server.count({ endpoint: 'contacts' })).toBe(1);
  });

  test('stops at the overall deadline, even while waiting to retry', async () => {
    server.setFaults([{ path: contactsPath, kind: 'rateLimit', retryAfter: 30 }]);
    const api = client({ retries: 10, maxRetryDelayMs: 60_000, signal: AbortSignal.timeout(400) });
    const started = performance.now();
    const error = await failure(api.get(contactsPath));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toMatch(/still failing when the run's deadline passed/);
    expect(error.exitCode).toBe(ExitCode.unavailable);
  });

  test('reports a refused connection as unavailable', async () => {
    const closed = await createQwotyServer({ contacts: 1 });
    const url = closed.url;
    await closed.close();
    const error = await failure(
      createQwotyClient({ baseUrl: url, token: TOKEN, retries: 1, minRetryDelayMs: 5 }).get(contactsPath),
    );
    expect(error).toMatchObject({ status: 0, exitCode: ExitCode.unavailable });
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  test('validates its options with one clear message', () => {
    expect(() => createQwotyClient({ baseUrl: server.url, token: '' })).toThrow(
      'Expected `token` to be a non-empty string.',
    );
    expect(() => createQwotyClient({ baseUrl: server.url, token: TOKEN, retries: -1 })).toThrow(
      'Expected `retries` to be a non-negative integer.',
    );
  });

  test('keeps its connection alive for its own requests, and shares it with no other client', async () => {
    let connections = 0;
    const counting = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"success":true,"data":1}');
    });
    counting.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    const { port } = counting.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}/api`;
    try {
      const first = createQwotyClient({ baseUrl, token: TOKEN });
      expect(await first.get('/contacts')).toBe(1);
      expect(await first.get('/contacts')).toBe(1);
      const opened = connections;
      expect(await first.get('/contacts')).toBe(1);
      expect(connections).toBe(opened);
      // A pool shared by every client (a module singleton) would hand the second the first one's connection.
      expect(await createQwotyClient({ baseUrl, token: TOKEN }).get('/contacts')).toBe(1);
      expect(connections).toBe(opened + 1);
    } finally {
      counting.closeAllConnections();
      counting.close();
    }
  });
});

describe('getList', () => {
  async function list(api: ReturnType<typeof client>, path = contactsPath) {
    const items: unknown[] = [];
    let attempts = 0;
    const { count } = await api.getList(
      path,
      {},
      {
        onPage: (start) => {
          attempts += 1;
          items.length = start;
        },
        onItem: (item, index) => {
          expect(index).toBe(items.length);
          items.push(item);
        },
      },
    );
    return { count, items, attempts };
  }

  test('hands over every element of data, in order, as the body streams in', async () => {
    const { count, items, attempts } = await list(client());
    expect(count).toBe(40);
    expect(items).toEqual(server.workspace.contacts);
    expect(attempts).toBe(1);
  });

  test.each([
    ['a body cut short of its content-length', { kind: 'truncate', times: 1 }],
    ['a chunked body that never ends properly', { kind: 'truncate', encoding: 'chunked', times: 1 }],
    ['a reset in the middle of the body', { kind: 'reset', when: 'midBody', times: 1 }],
    ['a body trickling past the timeout', { kind: 'slow', delayMs: 600, mode: 'trickle', times: 1 }],
    ['a 200 HTML login page', { kind: 'html200', times: 1 }],
    ['a 200 body that is not JSON', { kind: 'notJson', times: 1 }],
    ['a 503 HTML page', { kind: 'serverError', status: 503, body: 'html', times: 1 }],
  ] satisfies [string, Fault][])(
    'starts the list over after %s, so nothing is counted twice',
    async (_name, fault) => {
      server.setFaults([{ path: contactsPath, ...fault }]);
      const { count, items, attempts } = await list(client({ timeoutMs: 300 }));
      expect(count).toBe(40);
      expect(items).toEqual(server.workspace.contacts);
      expect(attempts).toBe(2);
    },
  );

  test('does not retry a streamed 200 whose envelope says success: false', async () => {
    server.setFaults([{ path: contactsPath, kind: 'successFalse', error: 'Workspace suspended' }]);
    const error = await failure(list(client()));
    expect(error.message).toMatch(/answered 200 but reported a failure: Workspace suspended/);
    expect(server.count({ endpoint: 'contacts' })).toBe(1);
  });

  test('rejects a data that is not a list', async () => {
    const [customer] = server.workspace.customers as { id: string }[];
    const error = await failure(list(client(), `/customers/${customer?.id}`));
    expect(error.message).toMatch(/with a "data" that is not a list/);
  });
});

describe('compressed answers', () => {
  let gzipServer: QwotyServer;
  beforeAll(async () => {
    gzipServer = await createQwotyServer({ contacts: 40, seed: 7, token: TOKEN, compress: true });
  });
  afterAll(async () => {
    await gzipServer.close();
  });
  beforeEach(() => gzipServer.setFaults([]));

  const gzipClient = () => client({ baseUrl: gzipServer.url, timeoutMs: 300 });

  test('asks for gzip and decodes it, for a list streamed and a single record', async () => {
    const items: unknown[] = [];
    const { count } = await gzipClient().getList(
      contactsPath,
      {},
      { onPage: () => {}, onItem: (item) => items.push(item) },
    );
    expect(count).toBe(40);
    expect(items).toEqual(gzipServer.workspace.contacts);
    const [customer] = gzipServer.workspace.customers as { id: string }[];
    await expect(gzipClient().get(`/customers/${customer?.id}`)).resolves.toEqual(customer);
  });

  test('decodes an error envelope, and does not retry a 404', async () => {
    const error = await failure(gzipClient().get('/customers/00000000-0000-4000-8000-000000000000'));
    expect(error.message).toMatch(/answered 404 Not Found: /);
    expect(gzipServer.count({ endpoint: 'customer' })).toBeGreaterThanOrEqual(1);
  });

  test.each([
    ['a gzip body cut short', { kind: 'truncate', times: 1 }],
    ['a gzip body reset halfway', { kind: 'reset', when: 'midBody', times: 1 }],
  ] satisfies [string, Fault][])('starts the list over after %s', async (_name, fault) => {
    gzipServer.setFaults([{ path: contactsPath, ...fault }]);
    let attempts = 0;
    const items: unknown[] = [];
    const { count } = await gzipClient().getList(
      contactsPath,
      {},
      {
        onPage: (start) => {
          attempts += 1;
          items.length = start;
        },
        onItem: (item) => items.push(item),
      },
    );
    expect({ count, attempts }).toEqual({ count: 40, attempts: 2 });
    expect(items).toEqual(gzipServer.workspace.contacts);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-30T02:00:00Z');
  test.each([
    ['2', 2000],
    ['1.5', 1500],
    ['0', undefined],
    ['Mon, 30 Nov 2026 02:00:05 GMT', 5000],
    ['Mon, 30 Nov 2026 01:59:00 GMT', undefined],
    ['soon', undefined],
    ['-3', undefined],
    [null, undefined],
  ])('reads %s as %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
