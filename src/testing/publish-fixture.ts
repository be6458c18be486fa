/**
 * Publishes a test snapshot the way a night does: through the pipeline's own `publishSnapshot` (every export
 * format, the real XLSX included, `rejects.json`, the change and quality reports, the history, the manifest,
 * `.snapshots/<version>`, `current` and the top-level links). Tests and benchmarks never write a layout of
 * their own, so what they read is what a night publishes.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORTERS, xlsxExporter } from '../pipeline/exporters/index.ts';
import { CURRENT_LINK, MANIFEST_FILE, publishSnapshot, SNAPSHOTS_DIR } from '../pipeline/publish.ts';
import { diffSnapshots, previousFromSnapshot } from '../pipeline/reports/changes.ts';
import { historyFile, reportFiles } from '../pipeline/reports/files.ts';
import { carryHistory, summariseNight } from '../pipeline/reports/history.ts';
import { assessQuality } from '../pipeline/reports/quality.ts';
import type { Reject } from '../shared/schema/api.ts';
import type { Snapshot } from '../shared/schema/published.ts';
import type { ChangesHistory } from '../shared/schema/reports.ts';

/** A value that exists only in the raw record of a reject: the site must never show it. */
export const RAW_REJECT_VALUE = 'Raw value only rejects.json holds';

/**
 * `count` records set aside by validation: the first with a script for an id, all with their raw record
 * holding `RAW_REJECT_VALUE`, which only rejects.json may contain.
 */
export function makeRejects(count = 1): Reject[] {
  return Array.from({ length: count }, (_, k) => ({
    entity: k % 3 === 2 ? 'customer' : 'contact',
    index: k % 3 === 2 ? null : 40 + k,
    id: k === 0 ? '<img src=x onerror=alert(4)>' : k % 2 === 1 ? null : `not-a-uuid-${k}`,
    issues: [
      { path: 'id', message: 'expected a UUID' },
      ...(k === 0
        ? [{ path: 'first_name', message: 'Invalid input: expected string, received number' }]
        : []),
    ],
    record: { id: k === 0 ? '<img src=x onerror=alert(4)>' : null, note: RAW_REJECT_VALUE },
  }));
}

export interface PublishOptions {
  /** Move the files out to `dataDir` itself, with no `current` link: the flat layout readers also accept. */
  flat?: boolean;
  /** The snapshot the change report compares with; none (a first run) by default. */
  previous?: Snapshot | null;
  /** The records set aside by validation; `makeRejects(1)` by default. */
  rejects?: Reject[];
  /** False: publish like a version before the reports existed, without changes.*, quality.* and the history. */
  reports?: boolean;
  /** The history this publish carries forward (see `makeHistory`); none by default. */
  history?: ChangesHistory | null;
  /**
   * False: leave out `contacts.xlsx`, the one slow export (its worker thread takes seconds to start on a busy
   * machine, where the others take milliseconds). For tests that build a site within a time limit and say so.
   */
  xlsx?: boolean;
}

/**
 * Publishes `snapshot` into `dataDir` with `publishSnapshot`, keeping every earlier version (tests read them).
 * Returns the folder holding the files.
 */
export async function writePublishedSnapshot(
  dataDir: string,
  snapshot: Snapshot,
  options: PublishOptions = {},
): Promise<string> {
  const rejects = options.rejects ?? makeRejects(1);
  const { dir } = await publishSnapshot({
    dataDir,
    snapshot,
    rejects,
    exporters: options.xlsx === false ? EXPORTERS.filter((exporter) => exporter !== xlsxExporter) : EXPORTERS,
    extraFiles: options.reports === false ? [] : () => reportsOf(snapshot, rejects, options),
    tool: { name: 'qwoty-contacts-directory', version: '0.1.0' },
    run: { startedAt: new Date(snapshot.generated_at), requests: 10, retries: 0 },
    keep: Number.MAX_SAFE_INTEGER,
  });
  return options.flat ? flatten(dataDir, dir) : dir;
}

/** The change and quality reports and the history, as a night works them out. */
async function reportsOf(snapshot: Snapshot, rejects: Reject[], options: PublishOptions) {
  const changes = await diffSnapshots(
    options.previous ? previousFromSnapshot(options.previous) : null,
    snapshot,
  );
  return [
    ...reportFiles(changes, assessQuality(snapshot, rejects)),
    historyFile(carryHistory(options.history ?? null, summariseNight(changes))),
  ];
}

/** Replaces the top-level links with the files of `dir`, then removes `current` and the versions folder. */
async function flatten(dataDir: string, dir: string): Promise<string> {
  for (const name of await readdir(dir)) {
    await rm(join(dataDir, name), { force: true });
    await rename(join(dir, name), join(dataDir, name));
  }
  await rm(join(dataDir, CURRENT_LINK), { force: true });
  await rm(join(dataDir, SNAPSHOTS_DIR), { recursive: true, force: true });
  if (!(await readdir(dataDir)).includes(MANIFEST_FILE)) throw new Error(`${dataDir} has no manifest`);
  return dataDir;
}
