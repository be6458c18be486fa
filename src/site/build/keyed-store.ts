/**
 * A folder of files named by their key: the site cache's customers' pages (`customer-pages.ts`) and files
 * (`customer-files.ts`). A file is only ever created whole under its name, never written in place, so a name
 * always holds the bytes its key stands for; a site holds the same file through a hard link.
 *
 * At 100,000 contacts a night places 37,500 such files, so each placing costs as few system calls as it can:
 * - a hard link appears whole, so a file is linked under its final name at once (no temporary name and
 *   rename, which cost a third more on a first night); only where the name is taken (an entry of a build
 *   that stored the same key) or the two paths cannot share a file is a temporary name renamed onto it;
 * - a file goes into its folder without asking first whether the folder exists (Astro made most of them);
 *   the folder is made when the system says it is missing.
 */
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Errors of `link()` that mean "these two paths cannot share a file here", not "something is wrong": another
 * file system (EXDEV), one without hard links (EPERM, ENOTSUP, ENOSYS) or a file with too many of them.
 */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'ENOSYS', 'EMLINK', 'EOPNOTSUPP']);

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? '';

/** Runs `task` on each of `items`, `concurrency` at a time, in order of start; resolves when all are done. */
export async function inLanes<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      for (let index = next++; index < items.length; index = next++) {
        await task(items[index] as T);
      }
    }),
  );
}

/** Runs `write()`, which writes into `folder`; when the folder is missing, makes it and writes again. */
export async function intoFolder(folder: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
    await mkdir(folder, { recursive: true });
    await write();
  }
}

/**
 * Makes `to` the same file as `from`, whole: a hard link, or where the two cannot share a file, a copy under a
 * temporary name renamed onto `to`. `replace` also replaces a file already at `to`; without it, one there is
 * an error (EEXIST), as for `link`. `to`'s folder is made when missing.
 */
export async function placeWhole(from: string, to: string, replace = false): Promise<void> {
  try {
    await intoFolder(path.dirname(to), () => link(from, to));
    return;
  } catch (error) {
    const code = codeOf(error);
    if (!NO_LINK.has(code) && !(replace && code === 'EEXIST')) throw error;
  }
  const temporary = `${to}.${randomUUID()}.tmp`;
  try {
    try {
      await link(from, temporary);
    } catch (error) {
      if (!NO_LINK.has(codeOf(error))) throw error;
      await copyFile(from, temporary);
    }
    await rename(temporary, to);
  } finally {
    await rm(temporary, { force: true });
  }
}

export interface KeyedStore {
  /** Whether the store held `name` when it was opened. */
  has(name: string): boolean;
  /** Puts the stored file `name` at `to`, which must not exist; its folder is made when missing. */
  place(name: string, to: string): Promise<void>;
  /** Stores the file at `from` under `name`, replacing any file of that name. */
  store(from: string, name: string): Promise<void>;
  /** Removes every file whose name is not in `keep`: the store holds exactly this build's files. */
  keepOnly(keep: ReadonlySet<string>): Promise<void>;
}

/**
 * Opens the store in `dir`, made if missing, private (0700): a file linked into a site is one file with the
 * site's copy, so the site's group (`QWOTY_SITE_GROUP`) is given it too (`g+r`), and only this folder's mode
 * keeps the group from reading the store's names for them (and every file no site holds any more). `force`:
 * as if it held nothing (a first night, a build after a failed one); it is still filled.
 */
export async function openKeyedStore(dir: string, force: boolean): Promise<KeyedStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const held = new Set(force ? [] : await readdir(dir));
  return {
    has: (name) => held.has(name),
    place: (name, to) => placeWhole(path.join(dir, name), to),
    store: (from, name) => placeWhole(from, path.join(dir, name), true),
    async keepOnly(keep) {
      const stale = (await readdir(dir)).filter((entry) => !keep.has(entry));
      await inLanes(stale, 16, (entry) => rm(path.join(dir, entry), { force: true }));
    },
  };
}
