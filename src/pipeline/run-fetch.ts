/**
 * One fetch run, end to end: lock the data folder, pull and validate the workspace, apply the validation
 * threshold and the publish guards, publish atomically. Any failure leaves the live snapshot as it was.
 */
import path from 'node:path';
import { DataRejectedError, SnapshotIoError } from '../shared/errors.ts';
import { writeFileNoFollow } from '../shared/own-folder.ts';
import { formatMs, type Reporter } from '../shared/reporter.ts';
import type { Reject } from '../shared/schema/api.ts';
import type { Manifest, Snapshot } from '../shared/schema/published.ts';
import type { ChangesReport, QualityReport } from '../shared/schema/reports.ts';
import type { FetchConfig } from './config.ts';
import { EXPORTERS, type Exporter, jsonExporter } from './exporters/index.ts';
import { writeJson } from './exporters/json.ts';
import { createXlsxExporter, xlsxExporter } from './exporters/xlsx.ts';
import { type FetchedWorkspace, fetchWorkspace } from './fetch-workspace.ts';
import { lookupCutoff, type PreviousCustomers, readPreviousCustomers } from './freshness.ts';
import {
  lockDataDir,
  type Published,
  type PublishStep,
  publishSnapshot,
  readLiveManifest,
} from './publish.ts';
import { createQwotyClient, type QwotyClient } from './qwoty-client.ts';
import { createRateLimiter, type RateLimiter } from './rate-limit.ts';
import {
  diffSnapshots,
  fingerprint,
  type PreviousSnapshot,
  readPreviousSnapshot,
} from './reports/changes.ts';
import { historyFile, reportFiles } from './reports/files.ts';
import { carryHistory, type LiveHistory, readLiveHistory, summariseNight } from './reports/history.ts';
import { assessQuality } from './reports/quality.ts';
import { buildSnapshot } from './snapshot.ts';

/** Where a run that refused to publish leaves the records it set aside, so they can still be inspected. */
export const FAILED_REJECTS_FILE = 'rejects-of-failed-run.json';

/** What a run has asked of the API so far. */
export interface RequestTally {
  requests: number;
  retries: number;
  /** Answers that were 429. */
  throttled: number;
  /** Time requests were held back by the rate limit. */
  waitedMs: number;
}

export interface RunFetchOptions {
  config: FetchConfig;
  reporter: Reporter;
  tool: { name: string; version: string };
  /** This process's id, for the data folder's lock. */
  pid: number;
  /**
   * The caller already holds the data folder's lock (`lockDataDir`), and keeps it after this run: the nightly
   * holds it from its first request to its site switch. Taking it again here would find it held (by this very
   * process) and stop.
   */
  dataDirLocked?: boolean;
  /**
   * Given, as soon as the API client exists, a way to read its counts: they stay readable after the run
   * failed, when no manifest carries them.
   */
  onTally?: (read: () => RequestTally) => void;
  now?: () => Date;
  onPublishStep?: (step: PublishStep) => void | Promise<void>;
  /** `false` sends requests unpaced, as before the rate limiter: for the benchmark's comparison only. */
  rateLimiter?: false;
}

export interface FetchRunResult {
  manifest: Manifest;
  changes: ChangesReport;
  quality: QualityReport;
  /** The live snapshot folder. */
  dir: string;
  /** The manifest this run replaced, or null on a first run. */
  previous: Manifest | null;
  /** Milliseconds per phase: contacts, addresses, customers, publish. */
  durations: Record<string, number>;
}

export async function runFetch(options: RunFetchOptions): Promise<FetchRunResult> {
  const { config, pid, now = () => new Date() } = options;
  const startedAt = now();
  const unlock = options.dataDirLocked ? async () => {} : await lockDataDir(config.dataDir, pid);
  try {
    const earlier = await readEarlierNight(config, options.reporter);
    const tonight = await fetchTonight(options, earlier, now);
    const snapshot = await checkTonight(config, options.reporter, tonight, earlier, startedAt);
    const published = await publishTonight(options, { earlier, tonight, snapshot, startedAt, now });
    const { dir, manifest, changes, quality } = published;
    const durations = { ...tonight.durations, publish: published.ms };
    return { dir, manifest, previous: earlier.previous, changes, quality, durations };
  } finally {
    await unlock();
  }
}

/** What the live snapshot leaves to tonight's run. */
interface EarlierNight {
  /** The live snapshot, or null on a first run. */
  live: Published | null;
  /** Its manifest, which this run replaces. */
  previous: Manifest | null;
  history: LiveHistory['history'];
  /**
   * What the change report needs of it, read while the workspace downloads. Handed over once, so that the
   * comparison is the last to hold it: kept here until the run ends, its 100,000 fingerprints cost the peak of
   * a heavy night half as much again as their size (the heap grows by half past what it holds, see heap.ts).
   */
  takeSnapshot: () => Promise<PreviousSnapshot | null>;
  /** Its customers, for the look-ups' order and for those not read tonight; handed over once, likewise. */
  takeCustomers: () => Promise<PreviousCustomers | null>;
}

/** A function that returns `value` the first time and null after, so that only its first caller holds it. */
function handOver<T>(value: Promise<T | null>): () => Promise<T | null> {
  let held: Promise<T | null> | null = value;
  return () => {
    const taken = held ?? Promise.resolve(null);
    held = null;
    return taken;
  };
}

/**
 * The first phase, under the lock: the live snapshot's manifest and history, read before anything is fetched
 * (a damaged history stops the run here, see readLiveHistory), and its snapshot and customers, started.
 */
async function readEarlierNight(config: FetchConfig, reporter: Reporter): Promise<EarlierNight> {
  const live = await readLiveManifest(config.dataDir);
  const liveHistory = live
    ? await readLiveHistory(
        live.dir,
        live.manifest.files.map((file) => file.name),
      )
    : { history: null };
  if (liveHistory.warning) reporter.warn(liveHistory.warning);
  for (const exporter of EXPORTERS) exporter.prepare?.();
  // A previous snapshot damaged since it was published is no reason to lose tonight's: compared with nothing.
  const snapshot = live
    ? readPreviousSnapshot(path.join(live.dir, jsonExporter.fileName)).catch((error: unknown) => {
        reporter.warn(
          `Could not read the previous snapshot's contacts (${(error as Error).message}): tonight's change report compares with nothing, as on a first night.`,
        );
        return null;
      })
    : Promise.resolve(null);
  snapshot.catch(() => {}); // awaited when publishing; a failed fetch must not leave it unhandled
  // Read before its contacts: the customers come first in contacts.json.
  const customers = live
    ? readPreviousCustomers(path.join(live.dir, jsonExporter.fileName)).catch((error: unknown) => {
        reporter.warn(
          `Could not read the previous snapshot's customers (${(error as Error).message}): every customer is looked up as new.`,
        );
        return null;
      })
    : Promise.resolve(null);
  return {
    live,
    previous: live?.manifest ?? null,
    history: liveHistory.history,
    takeSnapshot: handOver(snapshot),
    takeCustomers: handOver(customers),
  };
}

/** What tonight's requests brought, and what they cost. */
interface Tonight {
  workspace: FetchedWorkspace;
  client: QwotyClient;
  /** The rate limit's toll: answers that were 429, time held back. */
  pace: { throttled: number; waitedMs: number };
  /** The API's host, for the snapshot's source. */
  host: string;
  /** Milliseconds per list and for the look-ups. */
  durations: Record<string, number>;
}

/** The second phase: one client for the night, and the workspace pulled through it. */
async function fetchTonight(
  options: RunFetchOptions,
  earlier: EarlierNight,
  now: () => Date,
): Promise<Tonight> {
  const { config, reporter } = options;
  const host = new URL(config.apiUrl).host;
  reporter.info(
    `Fetching from ${host}${config.customerId ? ` (customer ${config.customerId})` : ''} into ${config.dataDir}`,
  );
  const { client, limiter } = connect(options);
  const durations: Record<string, number> = {};
  const workspace = await fetchWorkspace({
    client,
    customerId: config.customerId,
    concurrency: config.concurrency,
    previousCustomers: earlier.takeCustomers(),
    // Look-ups stop early enough to publish before the deadline; those left keep their earlier record.
    lookupsUntil: lookupCutoff(Date.now(), config.deadlineMs),
    rateLimited: () => limiter?.limited ?? false,
    now,
    onEvent: (event) => {
      if (event.type === 'phase-end') {
        durations[event.phase] = Math.round(event.ms);
        reporter.info(`${event.phase}: ${event.count.toLocaleString('en')} in ${formatMs(event.ms)}`);
      } else if (event.type === 'customer') reporter.progress('customers', event.done, event.total);
    },
  });
  for (const message of workspace.warnings) reporter.warn(message);
  const pace = limiter?.stats ?? { throttled: 0, waitedMs: 0 };
  if (limiter?.limited) {
    reporter.info(
      `rate limit: ${pace.throttled.toLocaleString('en')} answer(s) were 429, requests waited ${formatMs(pace.waitedMs)} in all`,
    );
  }
  return { workspace, client, pace, host, durations };
}

/** The night's API client and its rate limiter, whose counts `onTally` can read from now on. */
function connect(options: RunFetchOptions): { client: QwotyClient; limiter: RateLimiter | undefined } {
  const { config, reporter } = options;
  // --concurrency bounds the look-ups (fetch-workspace.ts); the contacts and addresses lists stream beside
  // them, as before the limiter: counting them in would leave the look-ups fewer places while they stream.
  const limiter =
    options.rateLimiter === false ? undefined : createRateLimiter({ concurrency: config.concurrency + 2 });
  const client = createQwotyClient({
    limiter,
    baseUrl: config.apiUrl,
    token: config.token,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    signal: AbortSignal.timeout(config.deadlineMs),
    onRetry: ({ error, delayMs, attempt }) =>
      reporter.warn(`${error.message}; retry ${attempt} in ${formatMs(delayMs)}`),
    caps: {
      maxListBytes: config.maxListMb * 1024 * 1024,
      maxAnswerBytes: config.maxAnswerKb * 1024,
      maxRecordBytes: config.maxRecordKb * 1024,
      maxDepth: config.maxDepth,
    },
  });
  options.onTally?.(() => ({
    requests: client.stats.requests,
    retries: client.stats.retries,
    throttled: limiter?.stats.throttled ?? 0,
    waitedMs: limiter?.stats.waitedMs ?? 0,
  }));
  return { client, limiter };
}

/**
 * The third phase: the validation threshold, the snapshot, and the publish guards. Throws (and publishes
 * nothing) when too many records were set aside or the snapshot would shrink too far.
 */
async function checkTonight(
  config: FetchConfig,
  reporter: Reporter,
  { workspace, host }: Tonight,
  earlier: EarlierNight,
  generatedAt: Date,
): Promise<Snapshot> {
  await checkRejects(config, workspace.rejects, workspace.contactRecords, reporter);
  const snapshot = buildSnapshot({
    workspace,
    source: { host, customer_id: config.customerId, demo: config.demo },
    generatedAt,
    defaultCountry: config.defaultCountry,
  });
  checkGuards(config, snapshot.counts.contacts, earlier.previous);
  return snapshot;
}

interface PublishInput {
  earlier: EarlierNight;
  tonight: Tonight;
  snapshot: Snapshot;
  startedAt: Date;
  now: () => Date;
}

/** The published snapshot, its reports, and how long publishing took. */
interface PublishedNight extends Published {
  changes: ChangesReport;
  quality: QualityReport;
  ms: number;
}

/**
 * The last phase: the exports and reports written and switched in at once. The reports are worked out while
 * the exports are written (the XLSX one in its worker thread).
 */
async function publishTonight(options: RunFetchOptions, input: PublishInput): Promise<PublishedNight> {
  const { config, reporter } = options;
  const { earlier, tonight, snapshot } = input;
  const { workspace, client, pace } = tonight;
  let changes: ChangesReport | undefined;
  let quality: QualityReport | undefined;
  const exports = nightExporters(config, earlier.live !== null);
  const started = performance.now();
  const published = await publishSnapshot({
    dataDir: config.dataDir,
    snapshot,
    rejects: workspace.rejects,
    exporters: exports.exporters,
    extraFiles: async () => {
      await exports.jsonWritten();
      changes = await diffSnapshots(await earlier.takeSnapshot(), snapshot, exports.fingerprints);
      // Only the comparison needed them: let them go before the reports are written.
      exports.fingerprints.clear();
      quality = assessQuality(snapshot, workspace.rejects, {
        ...workspace,
        customerMaxAgeDays: config.customerMaxAgeDays,
      });
      reporter.info(
        `changes: ${changes.totals.added} added, ${changes.totals.removed} removed, ${changes.totals.changed} changed`,
      );
      return [
        ...reportFiles(changes, quality),
        historyFile(carryHistory(earlier.history, summariseNight(changes))),
      ];
    },
    tool: options.tool,
    run: {
      startedAt: input.startedAt,
      requests: client.stats.requests,
      retries: client.stats.retries,
      lists: workspace.lists,
      throttled: pace.throttled,
      waitedMs: pace.waitedMs,
    },
    now: input.now,
    keep: config.keepNights,
    ...(options.onPublishStep ? { onStep: options.onPublishStep } : {}),
  });
  const ms = Math.round(performance.now() - started);
  reporter.info(`publish: ${published.manifest.files.length} files in ${formatMs(ms)}`);
  if (!changes || !quality) throw new Error('the reports were not worked out');
  return { ...published, changes, quality, ms };
}

/**
 * The exporters of the night. With a previous snapshot, the contacts are fingerprinted as contacts.json is
 * written, so the change report does not turn 100,000 contacts into JSON a second time.
 */
function nightExporters(config: FetchConfig, withFingerprints: boolean) {
  const fingerprints = new Map<string, string>();
  let jsonWritten: Promise<unknown> = Promise.resolve();
  const exporters = EXPORTERS.map(
    (exporter): Exporter =>
      exporter === xlsxExporter
        ? createXlsxExporter({ lang: config.lang, timeZone: config.timeZone })
        : withFingerprints && exporter === jsonExporter
          ? {
              ...jsonExporter,
              write: (snapshot, file) =>
                (jsonWritten = writeJson(snapshot, file, (contact, text) =>
                  fingerprints.set(contact.id, fingerprint(text)),
                )),
            }
          : exporter,
  );
  return { exporters, fingerprints, jsonWritten: () => jsonWritten };
}

async function checkRejects(
  config: FetchConfig,
  rejects: readonly Reject[],
  contactRecords: number,
  reporter: Reporter,
) {
  if (rejects.length === 0) return;
  const invalidContacts = rejects.filter((reject) => reject.entity === 'contact').length;
  const share = contactRecords === 0 ? 0 : invalidContacts / contactRecords;
  const summary = `${rejects.length} invalid record(s) set aside (${invalidContacts} of ${contactRecords} contacts, ${formatShare(share)})`;
  const refuse = config.strict
    ? 'with --strict'
    : share > config.maxInvalidShare
      ? `above the ${formatShare(config.maxInvalidShare)} limit`
      : null;
  if (!refuse) {
    reporter.warn(`${summary}; see rejects.json.`);
    return;
  }
  const file = path.join(config.dataDir, FAILED_REJECTS_FILE);
  await writeFileNoFollow(file, `${JSON.stringify(rejects, null, 2)}\n`).catch((error: unknown) => {
    if (error instanceof SnapshotIoError) throw error;
    throw new SnapshotIoError(`Could not write ${file} (${(error as Error).message}).`, { cause: error });
  });
  throw new DataRejectedError(
    `${summary}, ${refuse}: nothing was published and the last good snapshot is kept; the records and reasons are in ${file} (raise --max-invalid to accept them).`,
  );
}

function checkGuards(config: FetchConfig, contacts: number, previous: Manifest | null) {
  if (config.allowShrink) return;
  if (contacts === 0) {
    throw new DataRejectedError(
      "The API returned no valid contacts; refusing to publish an empty snapshot (check the token's workspace and QWOTY_CUSTOMER_ID, or pass --allow-shrink if it really is empty).",
    );
  }
  if (previous && contacts < previous.counts.contacts / 2) {
    throw new DataRejectedError(
      `The new snapshot has ${contacts} contacts, less than half of the previous ${previous.counts.contacts}; refusing to replace it (pass --allow-shrink if the drop is real).`,
    );
  }
}

function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
