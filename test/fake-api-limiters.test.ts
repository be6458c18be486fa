import { request } from 'undici';
import { afterEach, describe, expect, test } from 'vitest';
import { createServerRateLimiter, parseRateLimitSpec } from '../src/fake-api/limiters.ts';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';

const TOKEN = 'limiter-test-token';
let server: QwotyServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string) {
  if (!server) throw new Error('no server');
  const response = await request(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  await response.body.text();
  return response;
}

describe('the embedded API with a rate limit', () => {
  test('a fixed window announces its quota on every answer and answers 429 with Retry-After past it', async () => {
    server = await createQwotyServer({
      contacts: 5,
      token: TOKEN,
      rateLimit: { kind: 'window', limit: 2, windowMs: 60_000 },
    });
    const answers = [await get('/contacts'), await get('/addresses'), await get('/contacts')];
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 429]);
    expect(answers.map((answer) => answer.headers['x-ratelimit-remaining'])).toEqual(['1', '0', '0']);
    expect(answers[0]?.headers['x-ratelimit-limit']).toBe('2');
    expect(Number(answers[0]?.headers['x-ratelimit-reset'])).toBe(60);
    expect(Number(answers[2]?.headers['retry-after'])).toBeGreaterThan(58);
  });

  test('a token bucket answers 429 with no header at all once its burst is spent, then refills', async () => {
    server = await createQwotyServer({
      contacts: 5,
      token: TOKEN,
      // One token a second: the three requests must fall within one refill, even on a loaded machine (at
      // 20 a second, a refill every 50 ms, the third request was sometimes let through).
      rateLimit: parseRateLimitSpec('bucket:1/s,burst=2'),
    });
    const statuses = [(await get('/contacts')).statusCode, (await get('/contacts')).statusCode];
    const refused = await get('/contacts');
    expect([...statuses, refused.statusCode]).toEqual([200, 200, 429]);
    expect(Object.keys(refused.headers).filter((name) => /rate|retry/i.test(name))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await get('/contacts')).statusCode).toBe(200);
  });

  test('setRateLimit switches the limit on and off at runtime', async () => {
    server = await createQwotyServer({ contacts: 5, token: TOKEN });
    server.setRateLimit({ kind: 'window', limit: 1, windowMs: 60_000, headers: 'ietf' });
    const first = await get('/contacts');
    expect(first.headers.ratelimit).toBe('"default";r=0;t=60');
    expect(first.headers['ratelimit-policy']).toBe('"default";q=1;w=60');
    expect((await get('/contacts')).statusCode).toBe(429);
    server.setRateLimit(undefined);
    expect((await get('/contacts')).statusCode).toBe(200);
  });
});

describe('parseRateLimitSpec', () => {
  test.each([
    ['window:60/10s', { kind: 'window', limit: 60, windowMs: 10_000 }],
    ['window:60/1m,ietf', { kind: 'window', limit: 60, windowMs: 60_000, headers: 'ietf' }],
    ['window:5/500ms,draft', { kind: 'window', limit: 5, windowMs: 500, headers: 'draft' }],
    ['bucket:40/s', { kind: 'bucket', perSecond: 40 }],
    ['bucket:120/m,burst=10', { kind: 'bucket', perSecond: 2, burst: 10 }],
  ])('reads %s', (text, expected) => {
    expect(parseRateLimitSpec(text)).toEqual(expected);
  });

  test.each(['window', 'window:0/10s', 'window:60/10s,nonsense', 'bucket:40', 'leaky:1/s'])(
    'refuses %s with a message saying what it expects',
    (text) => {
      expect(() => parseRateLimitSpec(text)).toThrow(/Expected/);
    },
  );

  test('createServerRateLimiter names the bad option', () => {
    expect(() => createServerRateLimiter({ kind: 'bucket', perSecond: 0 })).toThrow(
      'Expected `rateLimit.perSecond` to be a positive number, got 0',
    );
  });
});
