import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  formatSummaryMarkdown,
  formatSummaryText,
  readRunSummary,
  runId,
  writeRunSummary,
} from '../src/pipeline/run-summary.ts';
import { type RunSummary, RunSummarySchema } from '../src/shared/schema/run-summary.ts';

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

  test('counts the customers read tonight and those kept from an earlier night, naming the oldest by id', () => {
    expect(formatSummaryText(summary)).toContain(
      '  Customers: 9,000 read tonight, 3,500 kept from an earlier night (the oldest, c-1, read 2026-11-28), 0 without a name\n',
    );
    expect(formatSummaryMarkdown(summary)).toContain('| Customers | 9,000 read tonight, 3,500 kept');
  });

  test("never keeps or shows a customer's name, even when given one", async () => {
    const named = {
      ...summary,
      freshness: {
        refreshed: 1,
        reused: 1,
        unnamed: 0,
        oldest: { id: 'c-1', name: 'Acme SA', fetched_at: '2026-11-28T02:31:00.000Z' },
      },
    };
    expect(formatSummaryText(named)).not.toContain('Acme');
    expect(formatSummaryMarkdown(named)).not.toContain('Acme');
    const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-summary-'));
    try {
      expect(await readFile(await writeRunSummary(dir, named), 'utf8')).not.toContain('Acme');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("prints the quality counts exactly as quality.json's totals hold them", () => {
    const quality = {
      contacts: 1_000,
      missing_email: 126,
      missing_phone: 40,
      missing_email_and_phone: 16,
      malformed_email: 3,
      malformed_phone: 4,
      duplicate_email: 5,
      unnamed_customer: 6,
      stale_customer: 0,
      rejected: 0,
      normalised: 0,
    };
    expect(formatSummaryText({ ...summary, quality })).toContain(
      '  Quality:   126 with a phone but no email, 40 with an email but no phone, 16 with neither, 5 with a shared email, 3 malformed emails, 4 malformed phones, 6 with an unnamed customer\n',
    );
  });

  test('names the run, and the run before it when that one was killed', () => {
    expect(runId(new Date('2026-12-07T02:17:00.123Z'), 4242)).toBe('20261207T021700Z-4242');
    const text = formatSummaryText({
      ...summary,
      run_id: '20261207T021700Z-4242',
      interrupted_run: '20261206T021700Z-4100',
    });
    expect(text).toContain('  Run:       20261207T021700Z-4242\n');
    expect(text).toContain('  Previous:  the run 20261206T021700Z-4100 was killed before it finished\n');
  });

  test('reads no summary as none, and a damaged one as none', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-summary-'));
    try {
      expect(await readRunSummary(dir)).toBeNull();
      await writeFile(path.join(dir, 'run-summary.json'), '{"status": "runn');
      expect(await readRunSummary(dir)).toBeNull();
      await writeRunSummary(dir, { ...summary, status: 'running', exit_code: null, finished_at: null });
      expect(await readRunSummary(dir)).toMatchObject({ status: 'running', finished_at: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('reads summaries written before these fields as nothing throttled and freshness unknown', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-summary-'));
    try {
      const file = await writeRunSummary(dir, summary);
      const {
        throttled: _t,
        waited_ms: _w,
        freshness: _f,
        run_id: _r,
        interrupted_run: _i,
        ...older
      } = JSON.parse(await readFile(file, 'utf8'));
      const read = RunSummarySchema.parse(older);
      expect(read).toMatchObject({ throttled: 0, waited_ms: 0, freshness: null, run_id: null });
      expect(formatSummaryText(read)).toContain('  Requests:  9,012 (3 retries)\n');
      expect(formatSummaryText(read)).not.toContain('Customers:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
