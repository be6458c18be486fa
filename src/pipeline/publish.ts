/**
 * All-or-nothing publishing into the data folder.
 *
 *   data/.snapshots/<run-id>/   one complete snapshot: every file plus manifest.json
 *   data/current                a relative symlink to the live snapshot folder
 *   data/contacts.json …        symlinks through `current/…`, made once and never changed
 *
 * A run writes and fsyncs everything into `.snapshots/.staging-<run-id>/`, renames it to its final name, then
 * swaps `current` with one rename of a new symlink over the old one. Until that rename the previous snapshot
 * is live and untouched; after it the new one is complete. A run killed at any instant leaves either the old
 * or the new snapshot live, never a mix; the next run removes what the killed one left behind. The previous
 * snapshot folder is kept, so a reader that resolved `current` just before a swap can finish reading it.
 */
import { randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { SnapshotIoError } from '../shared/errors.ts';
import { hashFile } from '../shared/hash-file.ts';
import {
  type Manifest,
  type ManifestFile,
  ManifestSchema,
  type Reject,
  type Snapshot,
} from '../shared/schema.ts';
import type { Exporter } from './exporters/index.ts';

export const SNAPSHOTS_DIR = '.snapshots';
export const CURRENT_LINK = 'current';
export const MANIFEST_FILE = 'manifest.json';
export const REJECTS_FILE = 'rejects.json';
const STAGING_PREFIX = '.staging-';
const LOCK_FILE = '.lock';

/** The moments of a publish, in order; tests stop the process at each to prove nothing breaks. */
export type PublishStep = 'staged' | 'renamed' | 'switched' | 'linked' | 'pruned';

/** A file written next to the exports, such as a report; `rows` is what the manifest records. */
export interface ExtraFile {
  name: string;
  mediaType: string;
  rows: number;
  content: string;
}

export interface PublishOptions {
  dataDir: string;
  snapshot: Snapshot;
  rejects: readonly Reject[];
  exporters: readonly Exporter[];
  /**
   * Files written next to the exports. A function is called once the exporters have started, so that work
   * (the reports) runs while the XLSX worker writes.
   */
  extraFiles?: readonly ExtraFile[] | (() => Promise<readonly ExtraFile[]>);
  tool: { name: string; version: string };
  run: {
    startedAt: Date;
    requests: number;
    retries: number;
    /** Answers that were 429, and how long the rate limit held requests back. Default 0. */
    throttled?: number;
    waitedMs?: number;
  };
  /** Snapshot folders kept, the live one included. Default 2 (live and previous). */
  keep?: number;
  /** Called after each step; tests use it to kill the process there. */
  onStep?: (step: PublishStep) => void | Promise<void>;
  /** Clock for the manifest's duration; injectable for deterministic tests. */
  now?: () => Date;
}

export interface Published {
  /** The snapshot folder now live. */
  dir: string;
  manifest: Manifest;
}

export async function publishSnapshot(options: PublishOptions): Promise<Published> {
  const {
    dataDir,
    snapshot,
    rejects,
    exporters,
    extraFiles = [],
    tool,
    run,
    keep = 2,
    onStep,
    now,
  } = options;
  const snapshotsDir = path.join(dataDir, SNAPSHOTS_DIR);
  // Named by the publish's own clock, to the millisecond, so that names sort in the order runs published.
  const runId = makeRunId(now?.() ?? new Date());
  const staging = path.join(snapshotsDir, `${STAGING_PREFIX}${runId}`);
  const final = path.join(snapshotsDir, runId);

  try {
    await mkdir(staging, { recursive: true });
    // Each file is synced and hashed as soon as it is written, while the others are still being written.
    const finish = async (file: { name: string; mediaType: string; rows: number }): Promise<ManifestFile> => {
      const full = path.join(staging, file.name);
      await syncFile(full);
      const { bytes, sha256 } = await hashFile(full);
      return { name: file.name, bytes, rows: file.rows, sha256, media_type: file.mediaType };
    };
    // Every writer is waited for, failed or not, before the staging folder can be removed (see allSettled).
    const exported = allSettled(
      exporters.map(async (exporter) => {
        const { rows } = await exporter.write(snapshot, path.join(staging, exporter.fileName));
        return finish({ name: exporter.fileName, mediaType: exporter.mediaType, rows });
      }),
    );
    const rejectsWritten = writeFile(
      path.join(staging, REJECTS_FILE),
      `${JSON.stringify(rejects, null, 2)}\n`,
    ).then(() => finish({ name: REJECTS_FILE, mediaType: 'application/json', rows: rejects.length }));
    const extrasWritten = (async () => {
      const extras = typeof extraFiles === 'function' ? await extraFiles() : extraFiles;
      return allSettled(
        extras.map(async (file) => {
          await writeFile(path.join(staging, file.name), file.content);
          return finish({ name: file.name, mediaType: file.mediaType, rows: file.rows });
        }),
      );
    })();
    const files = (
      await allSettled<ManifestFile | ManifestFile[]>([exported, rejectsWritten, extrasWritten])
    ).flat();
    files.sort((a, b) => (a.name < b.name ? -1 : 1));
    const finishedAt = now?.() ?? new Date();
    const manifest: Manifest = ManifestSchema.parse({
      schema_version: 1,
      tool,
      generated_at: snapshot.generated_at,
      source: snapshot.source,
      counts: snapshot.counts,
      run: {
        started_at: run.startedAt.toISOString(),
        duration_ms: Math.max(0, finishedAt.getTime() - run.startedAt.getTime()),
        requests: run.requests,
        retries: run.retries,
        throttled: run.throttled ?? 0,
        waited_ms: Math.round(run.waitedMs ?? 0),
        warnings: snapshot.warnings,
      },
      files,
    });
    await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await syncFile(path.join(staging, MANIFEST_FILE));
    await syncDir(staging);
    await onStep?.('staged');

    await rename(staging, final);
    await syncDir(snapshotsDir);
    await onStep?.('renamed');

    await replaceSymlink(path.join(SNAPSHOTS_DIR, runId), path.join(dataDir, CURRENT_LINK));
    await syncDir(dataDir);
    await onStep?.('switched');

    for (const name of [...files.map((file) => file.name), MANIFEST_FILE]) {
      await ensureSymlink(path.join(CURRENT_LINK, name), path.join(dataDir, name));
    }
    await syncDir(dataDir);
    await onStep?.('linked');

    await pruneSnapshots(dataDir, keep);
    await onStep?.('pruned');
    return { dir: final, manifest };
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    if (error instanceof SnapshotIoError) throw error;
    throw new SnapshotIoError(
      `Could not publish the snapshot into ${dataDir} (${(error as Error).message}); the previous snapshot is unchanged.`,
      { cause: error },
    );
  }
}

/**
 * `Promise.all` that waits for every promise to settle before it rejects with the first failure (in list
 * order). With `Promise.all`, a failed export removed the staging folder while the others, the XLSX worker
 * among them, were still writing into it: a file created after the removal left the folder behind.
 */
async function allSettled<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/**
 * Takes the data folder's lock, removing what a killed run left (staging folders, half-made links).
 * Returns the function that releases it. A lock held by a live process is an error.
 */
export async function lockDataDir(dataDir: string, pid: number): Promise<() => Promise<void>> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  try {
    await mkdir(path.join(dataDir, SNAPSHOTS_DIR), { recursive: true });
  } catch (error) {
    throw new SnapshotIoError(`Cannot create the data folder ${dataDir} (${(error as Error).message}).`, {
      cause: error,
    });
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      await cleanLeftovers(dataDir);
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SnapshotIoError(`Cannot lock the data folder ${dataDir} (${(error as Error).message}).`, {
          cause: error,
        });
      }
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder !== pid && isProcessAlive(holder)) {
        throw new SnapshotIoError(
          `Another run (process ${holder}) is publishing into ${dataDir}; wait for it to finish, or delete ${lockPath} if no run is active.`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new SnapshotIoError(
    `Cannot lock the data folder ${dataDir}; delete ${lockPath} if no run is active.`,
  );
}

/** The live snapshot's folder and manifest, or null when nothing was published yet. */
export async function readLiveManifest(dataDir: string): Promise<Published | null> {
  let dir: string;
  try {
    dir = await realpath(path.join(dataDir, CURRENT_LINK));
  } catch {
    return null;
  }
  try {
    return { dir, manifest: await readManifest(dir) };
  } catch (error) {
    throw new SnapshotIoError(
      `The live snapshot's manifest in ${dir} is unreadable (${(error as Error).message}); restore it or delete ${path.join(dataDir, CURRENT_LINK)} to start afresh.`,
      { cause: error },
    );
  }
}

/** The manifest of the snapshot folder `dir`; throws as `JSON.parse` and the schema do. */
export async function readManifest(dir: string): Promise<Manifest> {
  return ManifestSchema.parse(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')));
}

/** Snapshot folders of the data folder, oldest first (run ids sort by time). */
export async function listSnapshots(dataDir: string): Promise<string[]> {
  const entries = await readdir(path.join(dataDir, SNAPSHOTS_DIR), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

function makeRunId(date: Date): string {
  // 20261130T020000123Z: sortable, with milliseconds.
  const stamp = date.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

async function cleanLeftovers(dataDir: string) {
  const snapshotsDir = path.join(dataDir, SNAPSHOTS_DIR);
  for (const entry of await readdir(snapshotsDir)) {
    if (entry.startsWith(STAGING_PREFIX))
      await rm(path.join(snapshotsDir, entry), { recursive: true, force: true });
  }
  for (const entry of await readdir(dataDir)) {
    if (entry.includes('.tmp-')) await rm(path.join(dataDir, entry), { force: true });
  }
}

async function pruneSnapshots(dataDir: string, keep: number) {
  const live = path.basename(await readlink(path.join(dataDir, CURRENT_LINK)));
  const all = await listSnapshots(dataDir);
  const keepSet = new Set([live, ...all.slice(-Math.max(1, keep))]);
  for (const name of all) {
    if (!keepSet.has(name))
      await rm(path.join(dataDir, SNAPSHOTS_DIR, name), { recursive: true, force: true });
  }
}

/** Points `link` at `target` atomically: a new symlink renamed over the old one. */
async function replaceSymlink(target: string, link: string) {
  const temporary = `${link}.tmp-${randomBytes(4).toString('hex')}`;
  await symlink(target, temporary);
  await rename(temporary, link);
}

async function ensureSymlink(target: string, link: string) {
  const existing = await lstat(link).catch(() => null);
  if (existing?.isSymbolicLink() && (await readlink(link)) === target) return;
  if (existing?.isDirectory()) {
    throw new SnapshotIoError(`${link} is a folder where the snapshot's link should be; move it away.`);
  }
  await replaceSymlink(target, link);
}

async function syncFile(file: string) {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string) {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

/** Whether a process with this id runs (EPERM: it does, as another user): whether its lock still holds. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
