/**
 * `npm run build [-- --force]`: builds the directory site into `QWOTY_SITE_DIR` (default `dist`) from the
 * snapshot in `QWOTY_DATA_DIR` (default `data`) alone: no network, no token. A missing, empty or damaged
 * snapshot stops it with one sentence and exit code 6.
 *
 * Pages whose data and code did not change since the last build are copied from the incremental-build cache
 * (`QWOTY_SITE_CACHE_DIR`, default `.cache/astro`; see `astro.config.mjs`). `--force` or
 * `QWOTY_SITE_REBUILD=1` renders every page, and still refreshes the cache for the next build.
 */
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'astro';
import siteConfig from '../astro.config.mjs';
import { readManifest } from '../src/pipeline/publish.ts';
import { resolveSnapshotDir } from '../src/pipeline/read-snapshot.ts';
import { ConfigError, ExitCode, QwotyError, SnapshotIoError } from '../src/shared/errors.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { downloadsOf } from '../src/site/build/directory.ts';
import {
  claimCache,
  findStaleCopy,
  LOCK_FILE,
  recordAssets,
  recordedAssets,
} from '../src/site/build/site-cache.ts';
import { staleAfterHours } from '../src/site/client/staleness.ts';
import { parseSiteLang } from '../src/site/shared/text.ts';

/** The known error behind whatever Astro and Vite wrapped around it, if any. */
export function findQwotyError(error: unknown): QwotyError | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof QwotyError) return current;
    if (
      current.name &&
      current.name !== 'Error' &&
      /^(SnapshotIoError|ConfigError|DataRejectedError)$/.test(current.name)
    ) {
      // Astro may re-create errors across module graphs: keep the sentence and the exit code it implies.
      return new QwotyError(
        current.message,
        current.name === 'SnapshotIoError' ? ExitCode.io : ExitCode.config,
      );
    }
    seen.add(current);
    current = current.cause;
  }
  return undefined;
}

export interface BuildSiteOptions {
  root?: string;
  quiet?: boolean;
  /** Render every page instead of copying unchanged ones from the cache (which is still refreshed). */
  force?: boolean;
  /** Where a warning goes (a busy or left-behind cache, a stale copied page); stderr by default. */
  warn?: (line: string) => void;
}

/** Builds the site; resolves when `outDir` holds it. Options come from `astro.config.mjs` and the environment. */
export async function buildSite(options: BuildSiteOptions = {}): Promise<void> {
  // The site never needs the token: make sure nothing in the build can read it.
  delete process.env.QWOTY_API_TOKEN;
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const root = options.root ?? fileURLToPath(new URL('..', import.meta.url));
  const cacheDir = path.resolve(root, siteConfig.cacheDir ?? 'node_modules/.astro');
  const outDir = path.resolve(root, siteConfig.outDir ?? 'dist');
  const logLevel = options.quiet ? 'error' : 'info';
  try {
    // Read by the pages during the build: a wrong value stops the build here, in one sentence.
    staleAfterHours(process.env.QWOTY_STALE_AFTER_HOURS);
    parseSiteLang(process.env.QWOTY_SITE_LANG);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  // The build reads exactly this snapshot, and the downloads are copied from it: a publish meanwhile
  // cannot mix two.
  const snapshotDir = await resolveSnapshotDir(process.env.QWOTY_DATA_DIR ?? 'data');
  process.env.QWOTY_DATA_DIR = snapshotDir;
  await buildPages({ root, cacheDir, outDir, logLevel, warn, force: Boolean(options.force) });
  await copyDownloads(snapshotDir, outDir);
}

/** Astro's build of every page, through the incremental cache when it can be used. */
async function buildPages(options: {
  root: string;
  cacheDir: string;
  outDir: string;
  logLevel: 'error' | 'info';
  warn: (line: string) => void;
  force: boolean;
}): Promise<void> {
  const { root, cacheDir, outDir, logLevel, warn } = options;
  const claim = await claimCache(cacheDir, process.pid);
  if (claim.use === 'busy') {
    warn(
      `Another build (process ${claim.holder}) is using the site cache ${cacheDir}: rendering every page without it. Delete ${path.join(cacheDir, LOCK_FILE)} if no build is running.`,
    );
    // The busy cache is never touched: this build gets a throwaway one, and no page cache at all.
    const scratch = await mkdtemp(path.join(tmpdir(), 'qwoty-astro-'));
    try {
      await build({ root, logLevel, cacheDir: scratch, experimental: { incrementalBuild: false } });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return;
  }
  if (claim.use === 'rebuild' && !options.force) {
    warn(`The last build using the site cache ${cacheDir} did not finish: rendering every page.`);
  }
  let succeeded = false;
  try {
    const force = Boolean(options.force) || claim.use === 'rebuild';
    const before = await recordedAssets(cacheDir);
    await build({ root, logLevel, force });
    const stale = force ? undefined : await findStaleCopy(outDir, before);
    if (stale) {
      warn(
        `A page copied from the site cache links a file this build did not emit (${stale}): rendering every page.`,
      );
      await build({ root, logLevel, force: true });
    }
    await recordAssets(cacheDir, outDir);
    succeeded = true;
  } finally {
    await claim.release(succeeded);
  }
}

/**
 * Copies the whole-snapshot files the site offers (`/downloads/<file>`) from the snapshot the build read. They
 * are not Astro routes: Astro buffered each response and copied it twice more, about a second on every build
 * (cached pages or not) for the 100 MB of a 100,000-contact snapshot. The loader checked their SHA-256 when the
 * build started; a published snapshot never changes, so a size that differs now means it was being pruned.
 */
export async function copyDownloads(snapshotDir: string, outDir: string): Promise<void> {
  const changed = (cause?: unknown) =>
    new SnapshotIoError(
      `The snapshot ${snapshotDir} changed while the site was built; run \`npm run build\` again.`,
      { cause },
    );
  try {
    const target = path.join(outDir, 'downloads');
    await mkdir(target, { recursive: true });
    for (const file of downloadsOf(await readManifest(snapshotDir))) {
      const copy = path.join(target, file.name);
      await copyFile(path.join(snapshotDir, file.name), copy);
      if ((await stat(copy)).size !== file.bytes) throw changed();
    }
  } catch (error) {
    throw error instanceof SnapshotIoError ? error : changed(error);
  }
}

const USAGE = `Usage: npm run build [-- --force]

Builds the directory site into QWOTY_SITE_DIR (default dist) from the snapshot in QWOTY_DATA_DIR (default
data), with no network and no token, in QWOTY_SITE_LANG (en, the default, or fr). Pages whose data did not change are reused from the incremental-build
cache (QWOTY_SITE_CACHE_DIR, default .cache/astro); --force or QWOTY_SITE_REBUILD=1 renders every page.`;

/** `--force` or `QWOTY_SITE_REBUILD=1` (also `true`, `yes`, `on`); `--help`. */
export function parseBuildArgs(argv: string[], env: NodeJS.ProcessEnv): { force: boolean; help?: true } {
  let force: boolean | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return { force: false, help: true };
    force = values.force;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; usage: npm run build [-- --force].`, {
      cause: error,
    });
  }
  return { force: force === true || /^(1|true|yes|on)$/i.test(env.QWOTY_SITE_REBUILD?.trim() ?? '') };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // The build's heap, like a fetch's, is mostly garbage between collections: at 100,000 contacts this keeps
  // its peak at about 700 MB instead of 1.0-1.5 GB, in the same time (see heap.ts).
  limitHeapGrowth();
  try {
    const args = parseBuildArgs(process.argv.slice(2), process.env);
    if (args.help) console.log(USAGE);
    else await buildSite(args);
  } catch (error) {
    const known = findQwotyError(error);
    if (!known) {
      console.error(error);
      process.exit(ExitCode.unexpected);
    }
    console.error(`npm run build: ${known.message}`);
    process.exit(known.exitCode);
  }
}
