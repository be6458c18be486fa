/**
 * A folder replaced whole, in one atomic step: the data folder's snapshot (`data/current`) and the site
 * (`dist`).
 *
 *   <link>                          a relative symlink to the live version: the path readers and web servers use
 *   <versionsDir>/<id>/             complete versions: the live one and the previous ones kept
 *   <versionsDir>/.staging-<id>-…/  a version being written (made with mkdtemp)
 *
 * A new version is written into a staging folder, renamed to its final name, then `link` is switched with one
 * rename of a new symlink over the old one. Until that rename the previous version is live and untouched;
 * after it the new one is, complete. There is no moment without a version at `link`, and a process killed at
 * any step leaves one of the two live; `cleanLeftovers` (called under the folder's lock, before a new version)
 * removes what it left. Ids sort in the order versions were made, so pruning keeps the newest.
 *
 * A plain folder found at `link` (a site built before versions existed) becomes the first previous version
 * when the caller's `adopt` says it may. That takes two renames, folder away then link in, with no folder at
 * `link` between them: once, for microseconds. A crash between them is completed by the next `cleanLeftovers`.
 */
import { randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import path from 'node:path';

export const STAGING_PREFIX = '.staging-';

export interface SwapDir {
  /** The path readers use: a symlink to the live version. */
  link: string;
  /** Where the versions are, staging folders included. */
  versionsDir: string;
}

/** The moments of a switch, in order; `moved` only when a plain folder at `link` becomes a version. */
export type SwapStep = 'renamed' | 'moved' | 'switched';

export interface Staged {
  id: string;
  /** The staging folder to write the version into. */
  dir: string;
  /** Its name once complete. */
  final: string;
}

/** 20261130T020000123Z-1a2b3c: sortable by time to the millisecond, unique by its random tail. */
export function makeVersionId(date: Date): string {
  return `${date.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates an empty staging folder for a version named after `date`, with `mkdtemp`: a name no other process
 * could have taken first (a folder made in advance would otherwise be written into as if it were ours).
 */
export async function stageVersion(swap: SwapDir, date: Date = new Date()): Promise<Staged> {
  const id = makeVersionId(date);
  await mkdir(swap.versionsDir, { recursive: true });
  const dir = await mkdtemp(path.join(swap.versionsDir, `${STAGING_PREFIX}${id}-`));
  return { id, dir, final: path.join(swap.versionsDir, id) };
}

/**
 * Makes the complete staging folder `staged` the live version: renames it to its final name, then switches
 * `link` to it. The caller has synced the files it wrote into it.
 */
export async function commitVersion(
  swap: SwapDir,
  staged: Staged,
  options: {
    onStep?: ((step: SwapStep) => void | Promise<void>) | undefined;
    /**
     * Whether a plain folder found at `link` may become the previous version (and be pruned in turn). Never by
     * default: a folder at a mistyped path must not be moved, let alone deleted later.
     */
    adopt?: ((dir: string) => Promise<boolean>) | undefined;
  } = {},
): Promise<void> {
  const { onStep, adopt } = options;
  await rename(staged.dir, staged.final);
  await syncDir(swap.versionsDir);
  await onStep?.('renamed');

  const target = path.relative(path.dirname(swap.link), staged.final);
  const existing = await lstat(swap.link).catch(() => null);
  if (existing && !existing.isSymbolicLink()) {
    if (!existing.isDirectory() || !(await adopt?.(swap.link))) {
      throw new Error(
        `${swap.link} is a ${existing.isDirectory() ? 'folder' : 'file'} where a link should be`,
      );
    }
    const next = await makeTemporarySymlink(target, swap.link);
    await rename(swap.link, path.join(swap.versionsDir, makeVersionId(existing.mtime)));
    await onStep?.('moved');
    await rename(next, swap.link);
  } else {
    await replaceSymlink(target, swap.link);
  }
  await syncDir(path.dirname(swap.link));
  await onStep?.('switched');
}

/** Removes a staging folder that will not be committed. */
export async function discardVersion(staged: Staged): Promise<void> {
  await rm(staged.dir, { recursive: true, force: true });
}

/**
 * Keeps the live version, the `keep` newest (live included when it is among them) and the versions named in
 * `alsoKeep` (the one live before a switch, which may be older after a roll-back); removes the others.
 */
export async function pruneVersions(
  swap: SwapDir,
  keep: number,
  alsoKeep: readonly (string | null)[] = [],
): Promise<void> {
  const live = await readlink(swap.link).then(
    (target) => path.basename(target),
    () => null,
  );
  const all = await listVersions(swap);
  const kept = new Set([live, ...alsoKeep, ...all.slice(-Math.max(1, keep))]);
  for (const name of all) {
    if (!kept.has(name)) await rm(path.join(swap.versionsDir, name), { recursive: true, force: true });
  }
}

/** The live version's folder name, or null when there is none. */
export async function liveVersionName(swap: SwapDir): Promise<string | null> {
  const dir = await liveVersion(swap);
  return dir && path.dirname(dir) === (await realpath(swap.versionsDir).catch(() => null))
    ? path.basename(dir)
    : null;
}

/**
 * Removes what a killed process left (staging folders, half-made links), and completes a switch from a plain
 * folder that a crash interrupted between its two renames. Call it holding the folder's lock.
 */
export async function cleanLeftovers(swap: SwapDir): Promise<void> {
  for (const entry of await readdir(swap.versionsDir).catch(() => [])) {
    if (entry.startsWith(STAGING_PREFIX)) {
      await rm(path.join(swap.versionsDir, entry), { recursive: true, force: true });
    }
  }
  const dir = path.dirname(swap.link);
  const prefix = `${path.basename(swap.link)}.tmp-`;
  let missing = !(await lstat(swap.link).catch(() => null));
  for (const entry of await readdir(dir).catch(() => [])) {
    if (!entry.startsWith(prefix)) continue;
    const temporary = path.join(dir, entry);
    // Only a switch from a plain folder leaves `link` missing, with its new link ready next to it.
    if (missing && (await pointsIntoVersions(temporary, swap))) {
      await rename(temporary, swap.link);
      missing = false;
    } else {
      await rm(temporary, { force: true });
    }
  }
}

/** Version folder names, oldest first. */
export async function listVersions(swap: SwapDir): Promise<string[]> {
  const entries = await readdir(swap.versionsDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

/** The live version's folder (real path), or null when there is none. */
export async function liveVersion(swap: SwapDir): Promise<string | null> {
  return realpath(swap.link).catch(() => null);
}

/** Points `link` at `target` atomically: a new symlink renamed over the old one. */
export async function replaceSymlink(target: string, link: string): Promise<void> {
  await rename(await makeTemporarySymlink(target, link), link);
}

async function makeTemporarySymlink(target: string, link: string): Promise<string> {
  const temporary = `${link}.tmp-${randomBytes(4).toString('hex')}`;
  await symlink(target, temporary);
  return temporary;
}

async function pointsIntoVersions(file: string, swap: SwapDir): Promise<boolean> {
  const info = await lstat(file).catch(() => null);
  if (!info?.isSymbolicLink()) return false;
  const target = path.resolve(path.dirname(file), await readlink(file));
  const inside = path.dirname(target) === path.resolve(swap.versionsDir);
  return inside && !path.basename(target).startsWith('.') && Boolean(await stat(target).catch(() => null));
}

/** Makes a folder's entries (new names, renames) durable; a no-op where the file system cannot. */
export async function syncDir(dir: string): Promise<void> {
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
