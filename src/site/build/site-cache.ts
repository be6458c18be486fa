/**
 * The guards around the site cache (`cacheDir` in `astro.config.mjs`: Astro's incremental-build cache, and
 * ours of the customers' pages and files), used by `npm run build`: one build at a time, nothing reused after
 * a build that did not finish, and no copied page that links a script or stylesheet the build did not emit
 * (what the last build emitted is recorded, so no page needs reading).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SnapshotIoError } from '../../shared/errors.ts';
import { acquirePidLock } from '../../shared/pid-lock.ts';

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
 * `build.lock` (`src/shared/pid-lock.ts`); a build that fails leaves it behind, marked as let go, and a lock
 * whose process is gone makes the next build render everything. A lock taken on another host counts as busy.
 */
export async function claimCache(cacheDir: string, pid: number): Promise<CacheClaim> {
  const lockPath = path.join(cacheDir, LOCK_FILE);
  const cannot = (error: unknown) =>
    new SnapshotIoError(
      `Could not lock the site cache ${cacheDir} (${(error as Error).message}); delete ${lockPath} if no build is running.`,
      { cause: error },
    );
  let taken: Awaited<ReturnType<typeof acquirePidLock>>;
  try {
    await mkdir(cacheDir, { recursive: true });
    taken = await acquirePidLock(lockPath, { pid });
  } catch (error) {
    throw cannot(error);
  }
  if (!taken.acquired) return { use: 'busy', holder: taken.holder.pid ?? 0, release: async () => {} };
  const { lock, replaced } = taken;
  return {
    use: replaced ? 'rebuild' : 'reuse',
    release: async (succeeded) => {
      await (succeeded ? lock.release() : lock.abandon().catch(() => false));
    },
  };
}

const ASSETS_DIR = '_astro';
/** Ours, next to Astro's index of cached pages (`incremental-build.json`, which Astro rewrites every build). */
const ASSETS_FILE = 'emitted-assets.json';
const ASTRO_INDEX = 'incremental-build.json';

const AssetRecordSchema = z.object({
  /** SHA-256 of Astro's index once the recording build ended: another build since makes the record void. */
  index: z.string(),
  /** Every file under `/_astro/` that build emitted, as pages link it. */
  assets: z.array(z.string()),
});
type AssetRecord = z.output<typeof AssetRecordSchema>;

/**
 * The files Astro emitted under `/_astro/` in `outDir`, as the URLs pages link them by: under the site's
 * base path (`QWOTY_SITE_BASE`), `/` by default.
 */
export async function listAssets(outDir: string, base = '/'): Promise<Set<string>> {
  const dir = path.join(outDir, ASSETS_DIR);
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const url = (file: string) => `${base}${ASSETS_DIR}/${path.relative(dir, file).split(path.sep).join('/')}`;
  return new Set(
    entries.filter((entry) => entry.isFile()).map((entry) => url(path.join(entry.parentPath, entry.name))),
  );
}

async function indexDigest(cacheDir: string): Promise<string | null> {
  const body = await readFile(path.join(cacheDir, ASTRO_INDEX)).catch(() => null);
  return body && createHash('sha256').update(body).digest('hex');
}

/**
 * Before a build: what the pages in the cache may link, when the last build through `npm run build`
 * recorded it and no other build used the cache since; null otherwise.
 */
export async function recordedAssets(cacheDir: string): Promise<Set<string> | null> {
  let record: AssetRecord;
  try {
    record = AssetRecordSchema.parse(JSON.parse(await readFile(path.join(cacheDir, ASSETS_FILE), 'utf8')));
  } catch {
    return null;
  }
  const index = await indexDigest(cacheDir);
  return index !== null && record.index === index ? new Set(record.assets) : null;
}

/** After a build that succeeded, every page of which links only files it emitted: records those files. */
export async function recordAssets(cacheDir: string, outDir: string, base = '/'): Promise<void> {
  const index = await indexDigest(cacheDir);
  if (index === null) return;
  const record: AssetRecord = { index, assets: [...(await listAssets(outDir, base))].sort() };
  await writeFile(path.join(cacheDir, ASSETS_FILE), `${JSON.stringify(record)}\n`);
}

/**
 * While Astro generates the pages (by then it has emitted every script and stylesheet into `outDir`): the
 * first file the last build emitted (`before`, from `recordedAssets`) that this one did not, or undefined.
 * Every page in the cache was in the last build's site, which linked only files it emitted: when this build
 * emitted all of those again, no cached page can link a file that is not there, and none needs reading.
 */
export async function findDroppedAsset(
  outDir: string,
  before: ReadonlySet<string>,
  base = '/',
): Promise<string | undefined> {
  const emitted = await listAssets(outDir, base);
  return [...before].find((url) => !emitted.has(url));
}

/** The pages in `outDir` that link a file under `/_astro/` that is not there, as `page → file`, at most `limit`. */
export async function findMissingAssets(
  outDir: string,
  limit = 10,
  emitted?: Set<string>,
  base = '/',
): Promise<string[]> {
  const exists = emitted ?? (await listAssets(outDir, base));
  const entries = await readdir(outDir, { withFileTypes: true, recursive: true });
  const pages = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.html'))
    .map((entry) => path.join(entry.parentPath, entry.name));
  const needle = Buffer.from(`="${base}${ASSETS_DIR}/`);
  const missing: string[] = [];
  let next = 0;
  // A few reads in flight: 12,500 pages take a second instead of three.
  const reader = async () => {
    while (next < pages.length && missing.length < limit) {
      const page = pages[next++] ?? '';
      const html = await readFile(page);
      for (let at = html.indexOf(needle); at >= 0; at = html.indexOf(needle, at + needle.length)) {
        const url = html.toString('latin1', at + 2, html.indexOf('"', at + 2));
        if (!exists.has(safeDecode(url.replace(/[?#].*/, '')))) {
          missing.push(`${path.relative(outDir, page)} → ${url}`);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));
  return missing.slice(0, limit);
}

function safeDecode(url: string): string {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}
