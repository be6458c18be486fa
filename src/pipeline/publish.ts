/**
 * All-or-nothing publishing into the data folder.
 *
 *   data/.snapshots/<run-id>/   one complete snapshot: every file plus manifest.json
 *   data/current                a relative symlink to the live snapshot folder
 *   data/contacts.json …        symlinks through `current/…`, made once and never changed
 *
 * A run writes and fsyncs everything into `.snapshots/.staging-<run-id>/`, renames it to its final name, then
 * swaps `current` with one rename of a new symlink over the old one (`src/shared/swap-dir.ts`, which the site
 * uses too). Until that rename the previous snapshot is live and untouched; after it the new one is complete.
 * A run killed at any instant leaves either the old or the new snapshot live, never a mix; the next run removes
 * what the killed one left behind. The previous snapshot folder is kept, so a reader that resolved `current`
 * just before a swap can finish reading it. One run at a time holds `.lock` (`src/shared/pid-lock.ts`).
 */
import { lstat, mkdir, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SnapshotIoError } from '../shared/errors.ts';
import { hashFile } from '../shared/hash-file.ts';
import { checkOwnFolder } from '../shared/own-folder.ts';
import { acquirePidLock } from '../shared/pid-lock.ts';
import type { Reject } from '../shared/schema/api.ts';
import {
  type Manifest,
  type ManifestFile,
  ManifestSchema,
  type Snapshot,
} from '../shared/schema/published.ts';
import {
  cleanLeftovers as cleanSwapLeftovers,
  commitVersion,
  listVersions,
  liveVersion,
  liveVersionName,
  pruneVersions,
  replaceSymlink,
  type SwapDir,
  type SwapStep,
  stageVersion,
  syncDir,
} from '../shared/swap-dir.ts';
import { completeLinkSwitch } from '../shared/switch-links.ts';
import type { Exporter } from './exporters/index.ts';
import { writeTextFile } from './exporters/write-text.ts';
import { snapshotFormat } from './snapshot-format.ts';

export const SNAPSHOTS_DIR = '.snapshots';
export const CURRENT_LINK = 'current';
export const MANIFEST_FILE = 'manifest.json';
export const REJECTS_FILE = 'rejects.json';
const LOCK_FILE = '.lock';
/** `npm run rollback`'s journal of the pair of links it switches (src/shared/switch-links.ts). */
export const SWITCH_JOURNAL = '.rollback.json';

/** The data folder as a folder replaced whole: `current` and its versions in `.snapshots/`. */
export function snapshotsOf(dataDir: string): SwapDir {
  return { link: path.join(dataDir, CURRENT_LINK), versionsDir: path.join(dataDir, SNAPSHOTS_DIR) };
}

/**
 * The moments of a publish, in order; tests stop the process at each to prove nothing breaks. `renamed` and
 * `switched` are the swap's (`moved` never happens here: `current` is always a link).
 */
export type PublishStep = 'staged' | SwapStep | 'linked' | 'pruned';

/** A file written next to the exports, such as a report; `rows` is what the manifest records. */
export interface ExtraFile {
  name: string;
  mediaType: string;
  rows: number;
  /**
   * Its text in pieces, made as it is written: files are written one after the other, a piece at a time, so
   * that a large report (the changes of a night where every contact changed) is never held whole. On such a
   * night at 100,000 contacts, the report files made up front and written together cost 160 MB.
   */
  content: () => Iterable<string>;
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
    lists?: Manifest['run']['lists'];
    /** Answers that were 429, and how long the rate limit held requests back. Default 0. */
    throttled?: number;
    waitedMs?: number;
  };
  /**
   * Snapshot folders kept, the live one included (`QWOTY_KEEP_NIGHTS`); the one live before this publish is
   * kept too, whatever its age (a night rolled back to). Default 2 (live and previous).
   */
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
  const { dataDir, keep = 2, onStep, now } = options;
  const snapshots = snapshotsOf(dataDir);
  let stagedDir: string | undefined;

  try {
    // Named by the publish's own clock, to the millisecond, so that names sort in the order runs published.
    const staged = await stageVersion(snapshots, now?.() ?? new Date());
    stagedDir = staged.dir;
    const files = await writeFiles(staged.dir, options);
    const manifest = await writeManifest(staged.dir, files, options);
    await onStep?.('staged');

    const replaced = await liveVersionName(snapshots);
    await commitVersion(snapshots, staged, { onStep });

    for (const name of [...files.map((file) => file.name), MANIFEST_FILE]) {
      await ensureSymlink(path.join(CURRENT_LINK, name), path.join(dataDir, name));
    }
    await syncDir(dataDir);
    await onStep?.('linked');

    await pruneVersions(snapshots, keep, [replaced]);
    await onStep?.('pruned');
    return { dir: staged.final, manifest };
  } catch (error) {
    if (stagedDir) await rm(stagedDir, { recursive: true, force: true }).catch(() => {});
    if (error instanceof SnapshotIoError) throw error;
    throw new SnapshotIoError(
      `Could not publish the snapshot into ${dataDir} (${(error as Error).message}); the previous snapshot is unchanged.`,
      { cause: error },
    );
  }
}

/**
 * Writes the exports, the rejects and the extra files into `staging`, each synced and hashed as soon as it is
 * written, while the others are still being written; their manifest entries, sorted by name.
 */
async function writeFiles(
  staging: string,
  { snapshot, rejects, exporters, extraFiles = [] }: PublishOptions,
): Promise<ManifestFile[]> {
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
    // One after the other: a large report's text is not held together with the others' (nor its bytes).
    const written: ManifestFile[] = [];
    for (const file of extras) {
      await writeTextFile(path.join(staging, file.name), file.content());
      written.push(await finish({ name: file.name, mediaType: file.mediaType, rows: file.rows }));
    }
    return written;
  })();
  const files = (
    await allSettled<ManifestFile | ManifestFile[]>([exported, rejectsWritten, extrasWritten])
  ).flat();
  return files.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Writes and syncs the manifest of `files` into `staging`, then syncs the folder: the snapshot is complete. */
async function writeManifest(
  staging: string,
  files: ManifestFile[],
  { snapshot, tool, run, now }: PublishOptions,
): Promise<Manifest> {
  const finishedAt = now?.() ?? new Date();
  const manifest: Manifest = ManifestSchema.parse({
    schema_version: 1,
    tool,
    format: snapshotFormat(),
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
      lists: run.lists,
    },
    files,
  });
  await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await syncFile(path.join(staging, MANIFEST_FILE));
  await syncDir(staging);
  return manifest;
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
 * Takes the data folder's lock (see `src/shared/pid-lock.ts`), removing what a killed run left (staging
 * folders, half-made links). Returns the function that releases it, which leaves alone a lock another run took
 * over meanwhile. A lock held by a live process, or taken on another host, is an error.
 */
export async function lockDataDir(dataDir: string, pid: number): Promise<() => Promise<void>> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  // Only into a folder that is ours alone: another user could plant links in it (own-folder.ts).
  await checkOwnFolder(dataDir, 'The data folder');
  try {
    await mkdir(path.join(dataDir, SNAPSHOTS_DIR), { recursive: true });
  } catch (error) {
    throw new SnapshotIoError(`Cannot create the data folder ${dataDir} (${(error as Error).message}).`, {
      cause: error,
    });
  }
  await checkOwnFolder(path.join(dataDir, SNAPSHOTS_DIR), "The data folder's snapshots folder");
  let taken: Awaited<ReturnType<typeof acquirePidLock>>;
  try {
    taken = await acquirePidLock(lockPath, { pid });
  } catch (error) {
    throw new SnapshotIoError(`Cannot lock the data folder ${dataDir} (${(error as Error).message}).`, {
      cause: error,
    });
  }
  if (!taken.acquired) {
    const { holder } = taken;
    if (holder.verdict.state === 'unknown') {
      throw new SnapshotIoError(
        `Another run (process ${holder.pid} on ${holder.host}, since ${holder.since}) holds ${lockPath}, and this machine cannot tell whether it still runs (${holder.verdict.reason}); wait for it to finish, or delete ${lockPath} if no run is active there.`,
      );
    }
    throw new SnapshotIoError(
      `Another run (process ${holder.pid} on ${holder.host ?? 'this host'}, since ${holder.since ?? 'an unknown time'}) is publishing into ${dataDir} or building its site; wait for it to finish, or delete ${lockPath} if no run is active.`,
    );
  }
  const { lock } = taken;
  try {
    await cleanLeftovers(dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return async () => {
    await lock.release();
  };
}

/** The live snapshot's folder and manifest, or null when nothing was published yet. */
export async function readLiveManifest(dataDir: string): Promise<Published | null> {
  const dir = await liveVersion(snapshotsOf(dataDir));
  if (dir === null) return null;
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
  return listVersions(snapshotsOf(dataDir));
}

async function cleanLeftovers(dataDir: string) {
  await cleanSwapLeftovers(snapshotsOf(dataDir));
  // A roll-back killed between its two switches is finished first: the night it chose is the baseline.
  await completeLinkSwitch(path.join(dataDir, SWITCH_JOURNAL));
  // The top-level links' own half-made replacements (`contacts.json.tmp-…`).
  for (const entry of await readdir(dataDir)) {
    if (entry.includes('.tmp-')) await rm(path.join(dataDir, entry), { force: true });
  }
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
