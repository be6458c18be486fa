/**
 * The site folder (`QWOTY_SITE_DIR`, `dist` by default), replaced whole by every build:
 *
 *   dist                          a relative symlink to the live site: serve this path
 *   .dist.versions/<build-id>/    the live site and the previous one
 *   .dist.versions/.staging-<id>-…/ a build in progress (mkdtemp)
 *   .dist.versions/.lock          held by the build putting a site in place
 *
 * A build writes into a staging folder, and the symlink is switched with one rename once the build succeeded
 * (`src/shared/swap-dir.ts`, as the snapshot's `current`): a web server serving `dist` never finds it missing
 * or half-written, and a failed or killed build leaves the last good site as it was. One build at a time puts
 * a site into a folder (`src/shared/pid-lock.ts`); a second one stops with exit code 6.
 *
 * With a group (`QWOTY_SITE_GROUP`, the web server's), the versions folder is given to it `g+x` and every new
 * version `g+rx`/`g+r` before the switch: the web server can read each page from the instant it is live.
 */
import { lstat, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SnapshotIoError } from '../../shared/errors.ts';
import {
  type Group,
  giveFolderToGroup,
  resolveGroup,
  shareTreeWithGroup,
} from '../../shared/group-access.ts';
import { checkOwnFolder } from '../../shared/own-folder.ts';
import { acquirePidLock } from '../../shared/pid-lock.ts';
import {
  cleanLeftovers,
  commitVersion,
  discardVersion,
  liveVersionName,
  pruneVersions,
  type SwapDir,
  type SwapStep,
  stageVersion,
} from '../../shared/swap-dir.ts';

/** Site folders kept by default: the live one and the previous one (a build passes `QWOTY_KEEP_NIGHTS`). */
export const SITES_KEPT = 2;
const LOCK_FILE = '.lock';

/** The moments of a site replacement, in order; tests stop the process at each. */
export type SiteStep = 'staged' | SwapStep | 'pruned';

/** The site folder `siteDir` as a folder replaced whole: the link, and its versions next to it. */
export function siteFolder(siteDir: string): SwapDir {
  const link = path.resolve(siteDir);
  return { link, versionsDir: path.join(path.dirname(link), `.${path.basename(link)}.versions`) };
}

/**
 * Whether the plain folder `dir` is a site an earlier version built in place (an `index.html` and Astro's
 * `_astro/`, and no project files): only such a folder becomes the previous version. Anything else at the
 * site's path is left alone and stops the build, since versions are pruned.
 */
async function isEarlierSite(dir: string): Promise<boolean> {
  const has = (name: string) => stat(path.join(dir, name)).catch(() => null);
  const [index, assets, git, pkg] = await Promise.all(
    ['index.html', '_astro', '.git', 'package.json'].map(has),
  );
  return Boolean(index?.isFile() && assets?.isDirectory() && !git && !pkg);
}

/** Where a site goes, and how. */
export interface SiteTarget {
  /** The site's path (`QWOTY_SITE_DIR`): a link to the live version. */
  dir: string;
  /** The web server's group (`QWOTY_SITE_GROUP`): given read access to the new version before the switch. */
  group?: string | null | undefined;
  /** Versions kept (`QWOTY_KEEP_NIGHTS`), the live one and the one it replaces always among them. */
  keep?: number | undefined;
}

/**
 * Runs `write` on a new, empty folder, then makes that folder the site at `siteDir`, keeping the previous
 * one. When `write` fails, the folder is removed and the site stays as it was.
 */
export async function replaceSite<T>(
  site: string | SiteTarget,
  write: (dir: string) => Promise<T>,
  options: {
    /** The working folder of the process: a site folder that holds it is refused. */
    cwd: string;
    onStep?: ((step: SiteStep) => void | Promise<void>) | undefined;
  },
): Promise<T> {
  const { cwd, onStep } = options;
  const {
    dir: siteDir,
    group: groupName,
    keep = SITES_KEPT,
  } = typeof site === 'string' ? { dir: site } : site;
  // Before anything is built: a group that does not exist is a configuration error.
  const group: Group | null = groupName ? await resolveGroup(groupName) : null;
  const folder = siteFolder(siteDir);
  if (
    folder.link === path.parse(folder.link).root ||
    `${cwd}${path.sep}`.startsWith(`${folder.link}${path.sep}`)
  ) {
    throw new SnapshotIoError(
      `The site folder ${siteDir} holds the working folder ${cwd}; set QWOTY_SITE_DIR to a folder of its own, such as dist.`,
    );
  }
  // Before building anything: a folder that is not a site must not be moved into the versions (and pruned).
  const found = await lstat(folder.link).catch(() => null);
  if (found && !found.isSymbolicLink() && !(found.isDirectory() && (await isEarlierSite(folder.link)))) {
    throw new SnapshotIoError(
      `${siteDir} is a ${found.isDirectory() ? 'folder' : 'file'} that the site build did not make (a site has index.html and _astro/); move it away, or set QWOTY_SITE_DIR to another path.`,
    );
  }
  const failed = (doing: string, error: unknown) =>
    new SnapshotIoError(`Could not ${doing} ${siteDir} (${(error as Error).message}).`, { cause: error });
  const release = await lockSiteFolder(siteDir);
  try {
    if (group) {
      // The web server passes through the versions folder (g+x) without listing it; a user that may not give
      // files to the group learns it here, before a build, not after.
      await giveFolderToGroup(folder.versionsDir, group, 0o010);
    }
    await cleanLeftovers(folder).catch((error: unknown) => {
      throw failed('tidy up the site folder', error);
    });
    const staged = await stageVersion(folder).catch((error: unknown) => {
      throw failed('create a folder for the new site next to', error);
    });
    let result: T;
    try {
      result = await write(staged.dir);
      if (group) await shareTreeWithGroup(staged.dir, group);
    } catch (error) {
      // Best effort: the reason the build failed may be the reason this fails too.
      await discardVersion(staged).catch(() => {});
      throw error;
    }
    await onStep?.('staged');
    const replaced = await liveVersionName(folder);
    await commitVersion(folder, staged, { onStep, adopt: isEarlierSite }).catch(async (error: unknown) => {
      await discardVersion(staged).catch(() => {});
      throw failed('put the new site in place at', error);
    });
    await pruneVersions(folder, keep, [replaced]).catch((error: unknown) => {
      throw failed('remove old sites next to', error);
    });
    await onStep?.('pruned');
    return result;
  } finally {
    await release();
  }
}

/**
 * Takes the site folder's lock (one process at a time puts a site in place: a build, a roll-back) after
 * checking no other user may write where the site goes. Returns the function that releases it.
 */
export async function lockSiteFolder(siteDir: string): Promise<() => Promise<void>> {
  const folder = siteFolder(siteDir);
  const lockPath = path.join(folder.versionsDir, LOCK_FILE);
  // Only into folders no other user may write into: one could plant a link or take a version's name.
  await checkOwnFolder(path.dirname(folder.link), 'The folder holding the site', { owner: false });
  await checkOwnFolder(folder.versionsDir, "The site's versions folder");
  let taken: Awaited<ReturnType<typeof acquirePidLock>>;
  try {
    await mkdir(folder.versionsDir, { recursive: true });
    taken = await acquirePidLock(lockPath);
  } catch (error) {
    throw new SnapshotIoError(`Could not lock the site folder ${siteDir} (${(error as Error).message}).`, {
      cause: error,
    });
  }
  if (!taken.acquired) {
    const { holder } = taken;
    const where = holder.verdict.state === 'unknown' ? ` (${holder.verdict.reason})` : '';
    throw new SnapshotIoError(
      `Another build (process ${holder.pid}${where}) is putting a site into ${siteDir}; wait for it to finish, or delete ${lockPath} if no build is running.`,
    );
  }
  const { lock } = taken;
  return async () => {
    await lock.release();
  };
}
