import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatSummaryMarkdown, formatSummaryText, writeRunSummary } from '../src/pipeline/run-summary.ts';
import { type RunSummary, RunSummarySchema } from '../src/shared/schema.ts';

const summary: RunSummary = RunSummarySchema.parse({
  schema_version: 1,
  status: 'ok',
  exit_code: 0,
  error: null,
  started_at: '2026-12-01T02:17:00.000Z',
  finished_at: '2026-12-01T02:44:00.000Z',
  durations_ms: { contacts: 4_000, customers: 1_560_000, publish: 6_000, total: 1_620_000 },
  source: null,
  counts: null,
  requests: 9_012,
  retries: 3,
  throttled: 2,
  waited_ms: 1_480_500,
  freshness: {
    refreshed: 9_000,
    reused: 3_500,
    unnamed: 0,
    oldest: { id: 'c-1', name: 'Acme SA', fetched_at: '2026-11-28T02:31:00.000Z' },
  },
  warnings: [],
  changes: null,
  quality: null,
  snapshot_dir: null,
  site_dir: null,
});

describe('the run summary', () => {
  test('says how many answers were throttled and how long the run waited for the rate limit', () => {
    expect(formatSummaryText(summary)).toContain(
      '  Requests:  9,012 (3 retries, 2 throttled (429), waited 1480.5 s for the rate limit)\n',
    );
  });

  test('counts the customers read tonight and those kept from an earlier night, naming the oldest', () => {
    expect(formatSummaryText(summary)).toContain(
      '  Customers: 9,000 read tonight, 3,500 kept from an earlier night (the oldest, Acme SA, read 2026-11-28), 0 without a name\n',
    );
    expect(formatSummaryMarkdown(summary)).toContain('| Customers | 9,000 read tonight, 3,500 kept');
  });

  test('reads summaries written before these fields as nothing throttled and freshness unknown', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-summary-'));
    try {
      const file = await writeRunSummary(dir, summary);
      const {
        throttled: _t,
        waited_ms: _w,
        freshness: _f,
        ...older
      } = JSON.parse(await readFile(file, 'utf8'));
      const read = RunSummarySchema.parse(older);
      expect(read).toMatchObject({ throttled: 0, waited_ms: 0, freshness: null });
      expect(formatSummaryText(read)).toContain('  Requests:  9,012 (3 retries)\n');
      expect(formatSummaryText(read)).not.toContain('Customers:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
