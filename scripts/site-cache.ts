/**
 * The guards around Astro's incremental-build cache (`cacheDir` in `astro.config.mjs`), used by
 * `npm run build`: one build at a time, nothing reused after a build that did not finish, and no copied page
 * that links a script or stylesheet the build did not emit.
 */
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SnapshotIoError } from '../src/lib/errors.ts';

/** How a build may use the incremental-build cache, decided before it starts. */
export type CacheUse =
  /** Copy unchanged pages from the cache, and refresh it. */
  | 'reuse'
  /** Render every page, and refresh the cache: the last build using it did not finish. */
  | 'rebuild'
  /** Another build is using the cache right now: render every page and leave the cache alone. */
  | 'busy';

export interface CacheClaim {
  use: CacheUse;
  /** The process holding the cache, when `use` is `busy`. */
  holder?: number;
  /** Call once the build ended: a build that failed leaves the cache marked, so the next one reuses nothing. */
  release: (succeeded: boolean) => Promise<void>;
}

export const LOCK_FILE = 'build.lock';

/**
 * Claims the incremental-build cache in `cacheDir` for one build. Astro rewrites cached pages as it renders
 * them and their index only at the end: a build that failed or was killed halfway, or a second build at the
 * same time, could leave a page in the cache under another page's key. So one build at a time holds
 * `build.lock`; a build that fails leaves it behind, marked failed, and a lock whose process is gone makes
 * the next build render everything.
 */
export async function claimCache(cacheDir: string, pid: number): Promise<CacheClaim> {
  const lockPath = path.join(cacheDir, LOCK_FILE);
  const cannot = (error: unknown) =>
    new SnapshotIoError(
      `Could not lock the site cache ${cacheDir} (${(error as Error).message}); delete ${lockPath} if no build is running.`,
      { cause: error },
    );
  await mkdir(cacheDir, { recursive: true }).catch((error: unknown) => {
    throw cannot(error);
  });
  let leftBehind = false;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      return {
        use: leftBehind ? 'rebuild' : 'reuse',
        release: (succeeded) =>
          succeeded ? rm(lockPath, { force: true }) : writeFile(lockPath, 'failed\n').catch(() => {}),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(error);
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder !== pid && isAlive(holder)) {
        return { use: 'busy', holder, release: async () => {} };
      }
      leftBehind = true;
      await rm(lockPath, { force: true });
    }
  }
  throw cannot(new Error('another build took it meanwhile'));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The links from the HTML pages in `outDir` to Astro's emitted files (`/_astro/…`) that lead nowhere, as
 * `page → file`, at most `limit`. A page copied from the cache keeps the file names of the build that
 * rendered it; Astro's page hash covers the page's own code, but not a stylesheet that another page's change
 * moved into a shared, renamed file.
 */
export async function findMissingAssets(outDir: string, limit = 10): Promise<string[]> {
  const entries = await readdir(outDir, { withFileTypes: true, recursive: true });
  const exists = new Map<string, boolean>();
  const missing: string[] = [];
  const link = /(?:href|src)="(\/_astro\/[^"?#]+)/g;
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.html')) continue;
    const page = path.join(entry.parentPath, entry.name);
    const html = await readFile(page, 'latin1');
    for (const [, url = ''] of html.matchAll(link)) {
      let found = exists.get(url);
      if (found === undefined) {
        found = await stat(path.join(outDir, safeDecode(url))).then(
          (info) => info.isFile(),
          () => false,
        );
        exists.set(url, found);
      }
      if (!found) {
        missing.push(`${path.relative(outDir, page)} → ${url}`);
        if (missing.length >= limit) return missing;
        break;
      }
    }
  }
  return missing;
}

function safeDecode(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}
