import { describe, expect, test } from 'vitest';
import { createRateLimiter, type Permit, RateLimitWaitError } from '../src/pipeline/rate-limit.ts';
import { type HeaderReader, readRateLimitHeaders } from '../src/pipeline/rate-limit-headers.ts';

const NOW = Date.parse('2026-12-01T02:17:00.000Z');

function headers(values: Record<string, string>): HeaderReader {
  const lower = new Map(Object.entries(values).map(([name, value]) => [name.toLowerCase(), value]));
  return { get: (name) => lower.get(name.toLowerCase()) ?? null };
}

/** Resolves with the permit, or with 'waiting' when none came within `ms`. */
async function within(promise: Promise<Permit>, ms = 60): Promise<Permit | 'waiting'> {
  return Promise.race([
    promise,
    new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms)),
  ]);
}

describe('readRateLimitHeaders', () => {
  test.each([
    [
      'X-RateLimit-* with the reset in seconds from now',
      { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '12', 'X-RateLimit-Reset': '7' },
      { limit: 60, remaining: 12, resetAt: NOW + 7_000 },
    ],
    [
      'X-RateLimit-Reset as a Unix time in seconds (GitHub)',
      {
        'X-RateLimit-Limit': '5000',
        'X-RateLimit-Remaining': '4999',
        'X-RateLimit-Reset': String(NOW / 1000 + 3600),
      },
      { limit: 5000, remaining: 4999, resetAt: NOW + 3_600_000 },
    ],
    [
      'X-RateLimit-Reset as a Unix time in milliseconds',
      { 'X-RateLimit-Remaining': '3', 'X-RateLimit-Reset': String(NOW + 2500) },
      { remaining: 3, resetAt: NOW + 2500 },
    ],
    [
      'X-RateLimit-Reset as an HTTP date',
      { 'X-RateLimit-Remaining': '3', 'X-RateLimit-Reset': new Date(NOW + 30_000).toUTCString() },
      { remaining: 3, resetAt: NOW + 30_000 },
    ],
    [
      'X-Rate-Limit-* (Twitter)',
      {
        'X-Rate-Limit-Limit': '15',
        'X-Rate-Limit-Remaining': '0',
        'X-Rate-Limit-Reset': String(NOW / 1000 + 900),
      },
      { limit: 15, remaining: 0, resetAt: NOW + 900_000 },
    ],
    [
      'the IETF structured fields (draft 8 on)',
      { RateLimit: '"default";r=50;t=30', 'RateLimit-Policy': '"default";q=100;w=60' },
      { limit: 100, remaining: 50, resetAt: NOW + 30_000 },
    ],
    [
      'the IETF structured fields with two policies: the tightest wins',
      {
        RateLimit: '"burst";r=40;t=1, "daily";r=3;t=3600',
        'RateLimit-Policy': '"burst";q=100;w=60, "daily";q=1000;w=86400',
      },
      { limit: 1000, remaining: 3, resetAt: NOW + 3_600_000 },
    ],
    [
      'the IETF dictionary (drafts 6-7)',
      { RateLimit: 'limit=100, remaining=50, reset=30', 'RateLimit-Policy': '100;w=60' },
      { limit: 100, remaining: 50, resetAt: NOW + 30_000 },
    ],
    [
      'RateLimit-Limit/-Remaining/-Reset (earlier drafts), the limit with its policy',
      { 'RateLimit-Limit': '10, 10;w=1, 50;w=60', 'RateLimit-Remaining': '9', 'RateLimit-Reset': '1' },
      { limit: 10, remaining: 9, resetAt: NOW + 1_000 },
    ],
    ['Retry-After in seconds', { 'Retry-After': '120' }, { retryAt: NOW + 120_000 }],
    [
      'Retry-After as an HTTP date',
      { 'Retry-After': new Date(NOW + 5_000).toUTCString() },
      { retryAt: NOW + 5_000 },
    ],
    ['nothing at all', {}, {}],
    ['numbers that are not numbers', { 'X-RateLimit-Remaining': 'lots', 'Retry-After': 'soon' }, {}],
  ])('reads %s', (_name, sent, expected) => {
    expect(readRateLimitHeaders(headers(sent), NOW)).toEqual(expected);
  });
});

describe('createRateLimiter', () => {
  test('never has more requests in flight than its concurrency', async () => {
    const limiter = createRateLimiter({ concurrency: 2 });
    const first = await limiter.acquire();
    await limiter.acquire();
    const third = limiter.acquire();
    expect(await within(third)).toBe('waiting');
    first.release();
    expect(await within(third)).not.toBe('waiting');
  });

  test('counts the requests still in flight against what the API says remains', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const [a, b, c] = [await limiter.acquire(), await limiter.acquire(), await limiter.acquire()];
    // 3 remain after `a`, and `b` and `c` are still out: the API may not have counted them yet.
    a.answered(200, headers({ 'X-RateLimit-Remaining': '3', 'X-RateLimit-Reset': '60' }));
    const d = await within(limiter.acquire());
    expect(d).not.toBe('waiting');
    const e = limiter.acquire();
    expect(await within(e)).toBe('waiting');
    // `b` says 2 remain; `c` and `d` are out: still none to spare.
    b.answered(200, headers({ 'X-RateLimit-Remaining': '2', 'X-RateLimit-Reset': '60' }));
    expect(await within(e)).toBe('waiting');
    // `c` is answered: one more may go. Its answer, older than `b`'s, says 4 remain: that does not count.
    c.answered(200, headers({ 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '60' }));
    expect(await within(e)).not.toBe('waiting');
    expect(await within(limiter.acquire())).toBe('waiting');
    expect(limiter.limited).toBe(true);
  });

  test('tells a request it will not get a turn before its cut-off at once, without waiting', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const first = await limiter.acquire();
    first.answered(200, headers({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3600' }));
    const started = performance.now();
    const refused = await limiter.acquire({ notAfter: Date.now() + 60_000 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitWaitError);
    expect(performance.now() - started).toBeLessThan(50);
    expect((refused as RateLimitWaitError).resumesAt).toBeGreaterThan(Date.now() + 3_500_000);
  });

  test('waits for the answers still due before refusing: the API may have counted them already', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const [a, b] = [await limiter.acquire(), await limiter.acquire()];
    a.answered(200, headers({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3600' }));
    const waiting = limiter.acquire({ notAfter: Date.now() + 60_000 });
    expect(await within(waiting)).toBe('waiting');
    b.answered(200, headers({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3600' }));
    await expect(waiting).rejects.toBeInstanceOf(RateLimitWaitError);
  });

  test('holds every request after a 429 for as long as Retry-After says', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const throttled = await limiter.acquire();
    throttled.answered(429, headers({ 'Retry-After': '2' }));
    throttled.release();
    expect(limiter.resumesAt).toBeGreaterThan(Date.now() + 1_900);
    expect(await within(limiter.acquire(), 200)).toBe('waiting');
    expect(limiter.stats.throttled).toBe(1);
  });

  test('keeps the announced quota through a 429 that announces nothing (a proxy), after its pause', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const first = await limiter.acquire();
    first.answered(200, headers({ 'X-RateLimit-Remaining': '20', 'X-RateLimit-Reset': '60' }));
    first.release();
    const throttled = await limiter.acquire();
    throttled.answered(429, headers({}));
    throttled.release();
    expect(limiter.resumesAt - Date.now()).toBeLessThan(300);
    const next = await within(limiter.acquire({ notAfter: Date.now() + 5_000 }), 500);
    expect(next).not.toBe('waiting');
  });

  test('sets no pace from a lone 429 after a few answers, only a pause', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const ok = await limiter.acquire();
    ok.answered(200, headers({}));
    ok.release();
    const throttled = await limiter.acquire();
    throttled.answered(429, headers({}));
    throttled.release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    for (let turn = 0; turn < 8; turn += 1) {
      const permit = await limiter.acquire();
      permit.answered(200, headers({}));
      permit.release();
    }
    expect(performance.now() - started).toBeLessThan(100);
  });

  test('paces after a second 429 soon after the first, however little got through', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    for (let event = 0; event < 2; event += 1) {
      const throttled = await limiter.acquire();
      throttled.answered(429, headers({}));
      throttled.release();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, limiter.resumesAt - Date.now()) + 20));
    const first = await limiter.acquire();
    first.release();
    // At most one a second now: the next turn is a while off.
    expect(await within(limiter.acquire(), 200)).toBe('waiting');
  });

  test('learns a new window with one request after the reset, not a burst', async () => {
    const limiter = createRateLimiter({ concurrency: 8 });
    const first = await limiter.acquire();
    first.answered(200, headers({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1' }));
    first.release();
    const probe = limiter.acquire();
    const next = limiter.acquire();
    expect(await within(probe, 500)).toBe('waiting');
    const granted = await within(probe, 1_000);
    expect(granted).not.toBe('waiting');
    expect(await within(next, 100)).toBe('waiting');
    (granted as Permit).answered(200, headers({ 'X-RateLimit-Remaining': '58', 'X-RateLimit-Reset': '1' }));
    expect(await within(next)).not.toBe('waiting');
    expect(limiter.stats.waitedMs).toBeGreaterThanOrEqual(900);
  });

  test('stops waiting when the signal aborts', async () => {
    const limiter = createRateLimiter({ concurrency: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire({ signal: controller.signal });
    controller.abort(new Error('cut-off'));
    await expect(waiting).rejects.toThrow('cut-off');
  });

  test('validates its options with one clear message', () => {
    expect(() => createRateLimiter({ concurrency: 0 })).toThrow(
      'Expected `concurrency` to be a positive integer.',
    );
  });
});
