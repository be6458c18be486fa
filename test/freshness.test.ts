/**
 * A quota costs freshness, never the night: real fetch runs against the embedded API on loopback, with its
 * rate limits switched on, night after night into one data folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import type { RateLimitSpec } from '../src/fake-api/limiters.ts';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';
import { parseFetchConfig } from '../src/pipeline/config.ts';
import { assessFreshness, lookupCutoff } from '../src/pipeline/freshness.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { assessQuality } from '../src/pipeline/reports/quality.ts';
import { runFetch } from '../src/pipeline/run-fetch.ts';
import { ApiError, ExitCode } from '../src/shared/errors.ts';
import { createMemoryReporter } from '../src/shared/reporter.ts';
import type { Snapshot } from '../src/shared/schema/published.ts';
import { tinySnapshot } from '../src/testing/tiny-snapshot.ts';

const TOKEN = 'qwoty_live_freshness_test_token';
// 200 contacts of 25 customers: 27 requests a night (the two lists and the look-ups).
const workspace = generateWorkspace({ contacts: 200, seed: 5 });
let dataDir: string;
let server: QwotyServer;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'qwoty-fresh-'));
  server = await createQwotyServer({ workspace, token: TOKEN });
});
afterEach(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A quota of 10 requests a minute: the two lists and 8 look-ups, then nothing before the reset. */
const TIGHT: RateLimitSpec = { kind: 'window', limit: 10, windowMs: 60_000 };
/**
 * A 30 s deadline: the look-ups' cut-off comes at 25 s, before the quota's reset, so they stop as soon as the
 * quota is spent (a loaded machine needs more than the 1.5 s a 3 s deadline would leave).
 */
const TIGHT_NIGHT = { QWOTY_DEADLINE_MINUTES: '0.5' };

/** One night: a real fetch run into the shared data folder, under `limit` (a new quota) or none. */
async function night(options: { limit?: RateLimitSpec; env?: Record<string, string>; argv?: string[] } = {}) {
  server.setRateLimit(options.limit);
  server.resetStats();
  const parsed = parseFetchConfig(
    {
      QWOTY_API_TOKEN: TOKEN,
      QWOTY_API_URL: server.url,
      QWOTY_DATA_DIR: dataDir,
      QWOTY_RETRIES: '1',
      QWOTY_CONCURRENCY: '4',
      ...options.env,
    },
    options.argv ?? [],
  );
  if (parsed.help) throw new Error('unexpected help');
  const reporter = createMemoryReporter();
  const started = performance.now();
  const result = await runFetch({
    config: parsed.config,
    reporter,
    tool: { name: 'test', version: '0' },
    pid: 1,
  });
  const ms = performance.now() - started;
  const { snapshot } = await readSnapshot(dataDir);
  return { ...result, snapshot, lines: reporter.lines, ms };
}

/** The customers looked up, in the order the API received the look-ups. */
function lookupOrder(): string[] {
  return server.requests
    .filter((request) => request.endpoint === 'customer' && request.status === 200)
    .map((request) => decodeURIComponent(request.path.split('/').at(-1) ?? ''));
}

const byId = (snapshot: Snapshot) => new Map(snapshot.customers.map((customer) => [customer.id, customer]));

describe('fetched_at', () => {
  test('says when each customer was read: on a night without a limit, during that night', async () => {
    const { snapshot, quality } = await night();
    expect(snapshot.customers).toHaveLength(25);
    for (const customer of snapshot.customers) {
      expect(customer.name).not.toBeNull();
      expect(Date.parse(customer.fetched_at ?? '')).toBeGreaterThanOrEqual(Date.parse(snapshot.generated_at));
    }
    expect(quality.freshness).toEqual({ refreshed: 25, reused: 0, unnamed: 0, oldest: null });
  });
});

describe('a night under a quota too tight for every customer', () => {
  test('publishes before its deadline with every customer named, keeping the earlier record of those not read', async () => {
    const first = await night();
    const before = byId(first.snapshot);
    const second = await night({ limit: TIGHT, env: TIGHT_NIGHT });

    // Its quota resets after the cut-off: it stops looking up once it is spent, and publishes at once.
    expect(second.ms).toBeLessThan(10_000);
    expect(server.count({ status: 429 })).toBe(0);
    expect(server.count({ endpoint: 'customer' })).toBe(8);
    expect(second.snapshot.customers.every((customer) => customer.name !== null)).toBe(true);
    const reused = second.snapshot.customers.filter(
      (customer) => Date.parse(customer.fetched_at ?? '') < Date.parse(second.snapshot.generated_at),
    );
    expect(reused).toHaveLength(17);
    for (const customer of reused) {
      expect(customer.fetched_at).toBe(before.get(customer.id)?.fetched_at);
      expect(customer.name).toBe(before.get(customer.id)?.name);
    }
    const oldest = [...reused].sort((a, b) => (a.fetched_at ?? '').localeCompare(b.fetched_at ?? ''))[0];
    expect(second.quality.freshness).toEqual({
      refreshed: 8,
      reused: 17,
      unnamed: 0,
      oldest: { id: oldest?.id, name: oldest?.name, fetched_at: oldest?.fetched_at },
    });
    expect(second.lines.join('')).toMatch(
      /17 customer look-up\(s\) could not be made before this run's cut-off at the pace the API allows: 17 keep the details read on an earlier night \(the oldest on \d{4}-\d\d-\d\d\)/,
    );
    // Nothing changed in the workspace, and keeping a record is not a change.
    expect(second.changes.totals).toMatchObject({ added: 0, removed: 0, changed: 0, customers_added: 0 });
    expect(second.manifest.run.warnings.join(' ')).toMatch(/keep the details read on an earlier night/);
  });

  test('stops at the cut-off when a silent limit sets the pace, and still publishes every contact', async () => {
    await night();
    // 4 requests a second, announced by nothing: 25 look-ups would take 6 s, the cut-off comes at 1.5 s.
    const second = await night({
      limit: { kind: 'bucket', perSecond: 4, burst: 4 },
      env: { QWOTY_DEADLINE_MINUTES: '0.05' },
    });
    expect(second.ms).toBeLessThan(3_000);
    expect(second.snapshot.contacts).toHaveLength(200);
    expect(second.snapshot.customers.every((customer) => customer.name !== null)).toBe(true);
    expect(second.quality.freshness?.reused).toBeGreaterThan(10);
    expect(second.manifest.run.throttled).toBeGreaterThan(0);
    expect(second.manifest.run.waited_ms).toBeGreaterThan(0);
  });

  test('on a first night, publishes the customers it could not read unnamed, and the next night reads them first', async () => {
    const first = await night({ limit: TIGHT, env: TIGHT_NIGHT });
    const unnamed = first.snapshot.customers.filter((customer) => customer.name === null);
    expect(unnamed).toHaveLength(17);
    expect(unnamed.every((customer) => customer.fetched_at === null)).toBe(true);
    expect(first.snapshot.contacts).toHaveLength(200);
    expect(first.lines.join('')).toMatch(
      /17 had never been read and are shown by ID; they are looked up first/,
    );
    expect(first.quality.totals.unnamed_customer).toBeGreaterThan(0);

    const second = await night({ limit: TIGHT, env: TIGHT_NIGHT });
    const neverRead = new Set(unnamed.map((customer) => customer.id));
    expect(lookupOrder()).toHaveLength(8);
    expect(lookupOrder().every((id) => neverRead.has(id))).toBe(true);
    expect(second.snapshot.customers.filter((customer) => customer.name === null)).toHaveLength(9);
  });

  test('looks up the customers read longest ago first, whatever order their contacts come in', async () => {
    const nightA = await night();
    // Each tight night reads 8: the 8 read longest ago, which the previous tight night did not touch.
    const nightB = await night({ limit: TIGHT, env: TIGHT_NIGHT });
    const readOnB = lookupOrder();
    const nightC = await night({ limit: TIGHT, env: TIGHT_NIGHT });
    const readOnC = lookupOrder();

    expect(readOnB).toHaveLength(8);
    expect(readOnC).toHaveLength(8);
    expect(readOnC.filter((id) => readOnB.includes(id))).toEqual([]);
    const readAtA = byId(nightA.snapshot);
    const age = (id: string) => readAtA.get(id)?.fetched_at ?? '';
    const notReadSinceA = [...readAtA.keys()].filter((id) => !readOnB.includes(id) && !readOnC.includes(id));
    const newestReadOnC = readOnC.map(age).sort().at(-1) ?? '';
    expect(notReadSinceA.every((id) => age(id) >= newestReadOnC)).toBe(true);
    expect(nightB.quality.freshness?.reused).toBe(17);
    expect(nightC.quality.freshness?.oldest?.fetched_at).toBe(notReadSinceA.map(age).sort()[0]);
  });
});

describe('a customer whose look-up keeps failing', () => {
  test('keeps its last record with a warning while the others are read, rather than failing the night', async () => {
    const first = await night();
    const [failing] = first.snapshot.customers;
    server.setFaults([{ path: `/customers/${failing?.id}`, kind: 'serverError', status: 503 }]);
    const second = await night();

    const kept = byId(second.snapshot).get(failing?.id ?? '');
    expect(kept?.name).toBe(failing?.name);
    expect(kept?.fetched_at).toBe(failing?.fetched_at);
    expect(second.quality.freshness).toMatchObject({ refreshed: 24, reused: 1 });
    expect(second.lines.join('')).toMatch(
      /1 customer look-up\(s\) kept failing \(GET .* answered 503 .*\): 1 keep the details read on an earlier night/,
    );
  });

  test('fails the night as before when not one look-up goes through', async () => {
    await night();
    server.setFaults([{ path: '/customers/*', kind: 'serverError', status: 503 }]);
    const error = await night().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).exitCode).toBe(ExitCode.unavailable);
  });
});

describe('stale customers in the quality report', () => {
  test('are a finding once older than --customer-max-age, one per contact', async () => {
    await night();
    const second = await night({
      limit: TIGHT,
      env: TIGHT_NIGHT,
      argv: ['--customer-max-age', '0'],
    });
    const reused = new Set(
      second.snapshot.customers
        .filter((customer) => (customer.fetched_at ?? '') < second.snapshot.generated_at)
        .map((customer) => customer.id),
    );
    const stale = second.quality.findings.filter((finding) => finding.kind === 'stale_customer');
    expect(new Set(stale.map((finding) => finding.customer_id))).toEqual(reused);
    expect(stale).toHaveLength(
      second.snapshot.contacts.filter((contact) => reused.has(contact.customer_id)).length,
    );
    expect(second.quality.totals.stale_customer).toBe(stale.length);
  });

  test('are not a finding within the default 7 days, and count from the snapshot, not the clock', () => {
    const snapshot = tinySnapshot('a');
    const [customer] = snapshot.customers;
    if (!customer) throw new Error('no customer');
    const taken = Date.parse(snapshot.generated_at);
    customer.fetched_at = new Date(taken - 6 * 86_400_000).toISOString();
    expect(assessQuality(snapshot, []).totals.stale_customer).toBe(0);
    customer.fetched_at = new Date(taken - 8 * 86_400_000).toISOString();
    const report = assessQuality(snapshot, []);
    expect(report.totals.stale_customer).toBe(customer.contact_count);
    expect(report.findings.find((finding) => finding.kind === 'stale_customer')?.detail).toMatch(
      /^\d{4}-\d\d-\d\d \(8 days before this snapshot\)$/,
    );
    expect(assessFreshness(snapshot)).toMatchObject({ reused: 1, oldest: { id: customer.id } });
  });
});

describe('lookupCutoff', () => {
  test.each([
    [30 * 60_000, 27 * 60_000],
    [4 * 3_600_000, 4 * 3_600_000 - 5 * 60_000],
    [60_000, 54_000],
    [3_000, 1_500],
  ])('keeps time to publish out of a %d ms deadline', (deadline, until) => {
    expect(lookupCutoff(0, deadline)).toBe(until);
  });
});
