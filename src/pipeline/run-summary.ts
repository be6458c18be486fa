/**
 * The nightly run's summary: `run-summary.json` beside the snapshot for machines (written on success and on
 * failure, so monitoring sees both), a few lines at the end of the log for people, and Markdown for a CI
 * job's summary page.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type RunSummary, RunSummarySchema } from '../shared/schema/run-summary.ts';

export const RUN_SUMMARY_FILE = 'run-summary.json';

/** A run's id: when it started (UTC, to the second) and its process, e.g. `20261207T021700Z-4242`. */
export function runId(startedAt: Date, pid: number): string {
  return `${startedAt.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${pid}`;
}

/** The summary in the data folder, or null when there is none or it cannot be read (it is only a report). */
export async function readRunSummary(dataDir: string): Promise<RunSummary | null> {
  try {
    return RunSummarySchema.parse(JSON.parse(await readFile(path.join(dataDir, RUN_SUMMARY_FILE), 'utf8')));
  } catch {
    return null;
  }
}

/** Writes `run-summary.json` into the data folder atomically (temporary file, then rename). */
export async function writeRunSummary(dataDir: string, summary: RunSummary): Promise<string> {
  const file = path.join(dataDir, RUN_SUMMARY_FILE);
  const temporary = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${JSON.stringify(RunSummarySchema.parse(summary), null, 2)}\n`);
  await rename(temporary, file);
  return file;
}

const number = (value: number) => value.toLocaleString('en');
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The facts of a summary as label/value pairs, shared by the text and Markdown forms. */
function facts(summary: RunSummary): [string, string][] {
  const status = {
    ok: 'published',
    failed: `FAILED (exit ${summary.exit_code})`,
    running: 'running',
  }[summary.status];
  const rows: [string, string][] = [['Status', status]];
  if (summary.run_id) rows.push(['Run', summary.run_id]);
  if (summary.error) rows.push(['Reason', summary.error]);
  if (summary.interrupted_run) {
    rows.push(['Previous', `the run ${summary.interrupted_run} was killed before it finished`]);
  }
  if (summary.counts) {
    rows.push([
      'Snapshot',
      `${number(summary.counts.contacts)} contacts, ${number(summary.counts.customers)} customers, ${number(summary.counts.addresses)} addresses, ${number(summary.counts.rejected)} rejected`,
    ]);
  }
  if (summary.changes) {
    const c = summary.changes;
    rows.push([
      'Changes',
      `${number(c.added)} added, ${number(c.removed)} removed, ${number(c.changed)} changed; customers ${number(c.customers_added)} added, ${number(c.customers_removed)} removed`,
    ]);
  }
  if (summary.quality) {
    const q = summary.quality;
    rows.push([
      'Quality',
      // quality.json's own counts, as they are: each contact is in one of the three "missing" kinds at most.
      `${number(q.missing_email)} with a phone but no email, ${number(q.missing_phone)} with an email but no phone, ${number(q.missing_email_and_phone)} with neither, ${number(q.duplicate_email)} with a shared email, ${number(q.malformed_email)} malformed emails, ${number(q.malformed_phone)} malformed phones, ${number(q.unnamed_customer)} with an unnamed customer`,
    ]);
  }
  if (summary.freshness) {
    const f = summary.freshness;
    // By id: the summary is kept and shown in clear, where a customer's name has no place.
    const oldest = f.oldest ? ` (the oldest, ${f.oldest.id}, read ${f.oldest.fetched_at.slice(0, 10)})` : '';
    rows.push([
      'Customers',
      `${number(f.refreshed)} read tonight, ${number(f.reused)} kept from an earlier night${oldest}, ${number(f.unnamed)} without a name`,
    ]);
  }
  const throttled = summary.throttled
    ? `, ${number(summary.throttled)} throttled (429), waited ${seconds(summary.waited_ms)} for the rate limit`
    : summary.waited_ms
      ? `, waited ${seconds(summary.waited_ms)} for the rate limit`
      : '';
  rows.push(['Requests', `${number(summary.requests)} (${number(summary.retries)} retries${throttled})`]);
  const d = summary.durations_ms;
  rows.push([
    'Durations',
    `fetch ${seconds((d.contacts ?? 0) + (d.customers ?? 0))}, publish ${seconds(d.publish)}, site ${seconds(d.build)}, total ${seconds(d.total)}`,
  ]);
  for (const warning of summary.warnings) rows.push(['Warning', warning]);
  return rows;
}

export function formatSummaryText(summary: RunSummary): string {
  return `${facts(summary)
    .map(([label, value]) => `  ${`${label}:`.padEnd(11)}${value}`)
    .join('\n')}\n`;
}

export function formatSummaryMarkdown(summary: RunSummary): string {
  const escapeMarkdown = (text: string) => text.replace(/[|\\`*_<>[\]]/g, (char) => `\\${char}`);
  const title = {
    ok: '✅ Qwoty contacts snapshot published',
    failed: '❌ Qwoty contacts snapshot failed',
    running: '⏳ Qwoty contacts snapshot running',
  }[summary.status];
  const rows = facts(summary).map(([label, value]) => `| ${label} | ${escapeMarkdown(value)} |`);
  return `### ${title}\n\n| | |\n|---|---|\n${rows.join('\n')}\n`;
}
