/**
 * The site build behind `npm run build` and `npm run nightly`: from one snapshot alone (no network, no token),
 * through Astro's incremental build when its cache can be trusted, then the downloads copied beside the pages.
 * A missing, empty or damaged snapshot stops it with one `SnapshotIoError` sentence (exit code 6).
 *
 * Pages whose data and code did not change since the last build are copied from the incremental-build cache
 * (`cacheDir`; see `site-config.ts`). `force` renders every page, and still refreshes the cache.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AstroInlineConfig, build } from 'astro';
import { readManifest } from '../../pipeline/publish.ts';
import { readSnapshot, resolveSnapshotDir } from '../../pipeline/read-snapshot.ts';
import { ExitCode, QwotyError, SnapshotIoError } from '../../shared/errors.ts';
import { resolveTimeZone } from '../../shared/locale.ts';
import { replaceSymlink } from '../../shared/swap-dir.ts';
import { type CustomerFilesResult, writeCustomerFiles } from '../build/customer-files.ts';
import {
  type CustomerPagePlan,
  makeCustomerFolders,
  type PageSettings,
  placeCachedPages,
  planCustomerPages,
  renderEveryPage,
  storeRenderedPages,
} from '../build/customer-pages.ts';
import {
  buildDirectory,
  type Directory,
  downloadsOf,
  provideDirectory,
  takeDirectory,
} from '../build/directory.ts';
import { provideExportFolder, writeExportFiles } from '../build/export-data.ts';
import { Placing } from '../build/keyed-store.ts';
import { type PagesToRender, providePagesToRender } from '../build/page-plan.ts';
import {
  claimCache,
  findDroppedAsset,
  LOCK_FILE,
  recordAssets,
  recordedAssets,
} from '../build/site-cache.ts';
import { replaceSite } from '../build/site-folder.ts';
import { writeSiteManifest } from '../build/site-manifest.ts';
import type { SiteSettings } from '../build/site-settings.ts';
import { MESSAGES } from '../shared/i18n.ts';
import { createText } from '../shared/text.ts';
import { attachBuildLog, type BuildLogCounts, type BuildLogOutput, createBuildLog } from './build-log.ts';
import { defineSiteConfig } from './site-config.ts';

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
  /** What to build from and where (`SITE_SETTINGS`). */
  settings: SiteSettings;
  /** The project folder, against which relative folders are resolved; this checkout by default. */
  root?: string;
  /** Astro's whole log (every route it writes) instead of one progress line. */
  verbose?: boolean;
  /** Redraw the progress line in place (a terminal) instead of a line every 10%. */
  interactive?: boolean;
  /** Where the build's log goes: the progress line, Astro's warnings and errors, and its whole log with `verbose`. */
  output: BuildLogOutput;
  /** The working folder of the process, which the site folder must not hold (`replaceSite`). */
  cwd: string;
  /** The id of the process, recorded as the holder of the site cache while it builds. */
  pid: number;
  /** Where a warning goes (a busy or left-behind cache, a stale copied page); `output.err` by default. */
  warn?: (line: string) => void;
  /**
   * Called once the new site is complete, just before it is switched in; when it throws, the new site is
   * discarded and the last good one stays (a nightly's build whose nightly is gone).
   */
  beforeSwitch?: () => void;
}

/** What a build did. */
export interface BuildSiteResult extends BuildLogCounts {
  ms: number;
}

/**
 * Builds the site from the snapshot in `settings.dataDir` into `settings.siteDir`; resolves when it is there.
 * The build reads exactly the snapshot that was live when it started, and the downloads are copied from that
 * one: a publish meanwhile cannot mix two. The site is built in a new folder and switched in whole when the
 * build succeeded; a failed build leaves the last good site as it was (`site-folder.ts`).
 */
export async function buildSite(options: BuildSiteOptions): Promise<BuildSiteResult> {
  const started = performance.now();
  const { settings, verbose = false, interactive = false } = options;
  const { output } = options;
  const warn = options.warn ?? ((line: string) => output.err(`${line}\n`));
  const root = options.root ?? fileURLToPath(new URL('../../..', import.meta.url));
  const snapshotDir = await resolveSnapshotDir(path.resolve(root, settings.dataDir));
  const cacheDir = path.resolve(root, settings.cacheDir);
  const expected = await expectedPages(snapshotDir);
  let files: CustomerFilesResult = { written: 0, reused: 0 };
  const text = createText(
    settings.lang,
    MESSAGES[settings.lang],
    resolveTimeZone(settings.lang, settings.timeZone),
  );
  const readDirectory = async () => buildDirectory(await readSnapshot(snapshotDir), text);
  // Into a new folder, switched in whole once it is complete (see site-folder.ts).
  const site = {
    dir: path.resolve(root, settings.siteDir),
    group: settings.siteGroup,
    keep: settings.keepNights,
  };
  const log = createBuildLog({ verbose, interactive, expectedPages: expected }, output);
  await replaceSite(
    site,
    async (outDir) => {
      const attached = attachBuildLog(log);
      const config: AstroInlineConfig = {
        ...defineSiteConfig({
          dataDir: snapshotDir,
          staleAfterHours: settings.staleAfterHours,
          lang: settings.lang,
          base: settings.base,
          timeZone: settings.timeZone,
          siteUrl: settings.siteUrl,
          siteDir: outDir,
          cacheDir,
          freshOutDir: true,
        }),
        root,
        configFile: false,
        logLevel: 'info',
        logger: attached.logger,
      };
      const unlinkPackages = await linkPackages(root, outDir);
      // The export chunks go into the site as the home page names them (`export-data.ts`).
      provideExportFolder(outDir);
      try {
        files = await buildPages({
          // Read before Astro starts (see `provideDirectory`), once the cache is claimed: a snapshot that
          // cannot be read fails the build as the pages' loader did.
          readFirst: async () => {
            const directory = readDirectory();
            provideDirectory(directory);
            return await directory;
          },
          pageSettings: {
            lang: settings.lang,
            timeZone: text.timeZone,
            siteUrl: settings.siteUrl,
            base: config.base ?? '/',
          },
          onPages: (pages) => log.expect(pages + 40),
          ...(verbose ? { onReused: (page: string) => output.out(`  ├─ ${page} (cached)\n`) } : {}),
          config,
          cacheDir,
          outDir,
          warn,
          pid: options.pid,
          force: settings.force,
          // While Astro renders the pages, from the directory they are made from.
          writeCustomerFiles: (directory, filesCache, force, placing) =>
            writeCustomerFiles({
              customers: directory.customers,
              text,
              outDir,
              cacheDir: filesCache,
              force,
              placing,
              // Listed as Astro lists its pages, for a reader of the verbose log (and the tests).
              ...(verbose
                ? {
                    onFile: (file, reused) => output.out(`  ├─ ${file} (${reused ? 'cached' : 'written'})\n`),
                  }
                : {}),
            }),
          // After Astro: the export index, once the home page has named (and written) the chunks.
          afterAstro: async () => {
            const directory = await (takeDirectory() ?? readDirectory());
            await writeExportFiles(directory, outDir);
          },
        });
      } finally {
        takeDirectory();
        provideExportFolder(undefined);
        attached.close();
        log.end();
        await unlinkPackages();
      }
      await copyDownloads(snapshotDir, outDir);
      // Names the snapshot this site shows, so the pair can be checked and rolled back together.
      const { generated_at } = await readManifest(snapshotDir);
      await writeSiteManifest(outDir, { snapshotDir, generatedAt: generated_at });
      options.beforeSwitch?.();
    },
    { cwd: options.cwd },
  );
  const counts = log.counts();
  return {
    rendered: counts.rendered + files.written,
    reused: counts.reused + files.reused,
    ms: performance.now() - started,
  };
}

/**
 * Astro writes its prerender bundle, which imports Astro's packages by name, into the site folder when that
 * folder's path starts with the working folder's (always, under a cron or a unit whose working folder is `/`),
 * and into `./.astro/` otherwise. Node looks for those packages from the bundle's folder upward: from a site
 * outside the checkout (`/var/www/qwoty`) it never met a `node_modules` (`ERR_MODULE_NOT_FOUND: Cannot find
 * package 'piccolore'`). So, for such a site, a link to the checkout's `node_modules` sits next to the staging
 * folder while Astro builds: in the versions folder, which the web server never lists, and never in a site
 * version (pruning and listing see folders only). Returns what removes it.
 */
async function linkPackages(root: string, outDir: string): Promise<() => Promise<void>> {
  if (!path.relative(root, outDir).startsWith('..')) return async () => {};
  const link = path.join(path.dirname(outDir), 'node_modules');
  await replaceSymlink(path.join(root, 'node_modules'), link);
  return () => rm(link, { force: true });
}

/**
 * About how many pages a build of this snapshot writes: one per route under `src/pages/customers/[id]/` for
 * each customer, and a few dozen more (home, letters, reports, search chunks). Only the progress line's
 * denominator: the summary counts what was written.
 */
async function expectedPages(snapshotDir: string): Promise<number> {
  // Astro's pages only: the progress line counts what Astro writes, and the files written after it
  // (`customer-files.ts`, `export-data.ts`) are not in its count (with them, the line stopped at 30%).
  const routes = await readdir(fileURLToPath(new URL('../../pages/customers/[id]/', import.meta.url)));
  // A snapshot that cannot be read fails the build in the loader, with its own sentence.
  const manifest = await readManifest(snapshotDir).catch(() => undefined);
  return (manifest?.counts.customers ?? 0) * routes.length + 40;
}

interface BuildPagesOptions {
  config: AstroInlineConfig;
  cacheDir: string;
  outDir: string;
  warn: (line: string) => void;
  pid: number;
  force: boolean;
  /** Reads the snapshot into the directory the pages are made from, once the cache is claimed. */
  readFirst: () => Promise<Directory>;
  pageSettings: PageSettings;
  /** Told how many customer pages Astro will render, before it starts. */
  onPages: (pages: number) => void;
  /** Told of each customer page linked from the cache. */
  onReused?: (sitePath: string) => void;
  /** Writes the customers' files (`customer-files.ts`) into the site, with this cache folder or none. */
  writeCustomerFiles: (
    directory: Directory,
    cacheDir: string | undefined,
    force: boolean,
    placing?: Placing,
  ) => Promise<CustomerFilesResult>;
  /** What is written once Astro is done (the export chunks). */
  afterAstro: () => Promise<void>;
}

/**
 * Astro's build of the pages, through the incremental caches when they can be used, with the customers' files
 * (`writeCustomerFiles`) written meanwhile (`alongsideAstro`), under the same claim on the cache: its folder
 * for them, or none when the cache is busy. Astro renders only the customers' pages whose key the cache does
 * not hold (`customer-pages.ts`); the others are linked in after it. Counts the pages linked from the cache
 * with the files.
 */
async function buildPages(options: BuildPagesOptions): Promise<CustomerFilesResult> {
  const { config, cacheDir, warn } = options;
  const claim = await claimCache(cacheDir, options.pid);
  if (claim.use === 'busy') {
    warn(
      `Another build (process ${claim.holder}) is using the site cache ${cacheDir}: rendering every page without it. Delete ${path.join(cacheDir, LOCK_FILE)} if no build is running.`,
    );
    return buildWithoutCache(options);
  }
  if (claim.use === 'rebuild' && !options.force) {
    warn(`The last build using the site cache ${cacheDir} did not finish: rendering every page.`);
  }
  let succeeded = false;
  try {
    const force = Boolean(options.force) || claim.use === 'rebuild';
    const before = await recordedAssets(cacheDir);
    const { plan, directory } = await planPages(options, cacheDir, force);
    const decision = decidePages(options, plan, before);
    const pagesOptions = async () => ({
      plan: await decision.final(),
      outDir: options.outDir,
      ...(options.onReused ? { onReused: options.onReused } : {}),
    });
    // Alongside Astro only when it renders few pages. Measured while these were still placed through Node's
    // file system threads: rendering most pages, Astro's own writes waited behind them (first nights at
    // 100,000 contacts, interleaved: 53.7 and 67.2 s alongside, 49.5 and 54.5 s after); rendering few, they
    // overlap its start (next nights: 13.0-15.9 s alongside, 15.4-19.2 s after). Since the placing is
    // synchronous, only first nights with every folder made before Astro renders were measured again, and
    // were slower (67.1 and 71.2 s, against 59.1 and 61.2 s).
    const overlap = plan.render.size <= plan.pages.length * MOST_RENDERED_ALONGSIDE;
    // A night that renders few pages: every customer's folder and the customers' files, before Astro starts,
    // the links from the cache made by a worker on the other core while Astro builds (`Placing`).
    const early = overlap ? await placeEarly(options, plan, directory, cacheDir, force) : undefined;
    // The pages the cache holds once the plan is final, and on other nights the files. After Astro, the
    // folders of the pages it rendered are there already, and the few others are made as they are needed.
    const alongside = alongsideAstro(() =>
      Promise.all([
        early?.files ?? options.writeCustomerFiles(directory, cacheDir, force),
        pagesOptions().then(placeCachedPages),
      ]),
    );
    providePagesToRender(overlap ? alongside.starting(decision.pagesToRender) : decision.pagesToRender);
    try {
      await alongside.during(build({ ...config, force }));
    } catch (error) {
      // Nothing may still be linking into the folder that is thrown away.
      await early?.files.catch(() => undefined);
      throw error;
    }
    // After Astro, on a first night, the customers' files stay on this thread: written and linked by a
    // worker while this one made their bytes, first nights were no faster (36.1, 39.8 and 35.7 s, against
    // 35.3, 38.9 and 36.9 s, interleaved): making the bytes is most of it, and it slowed down beside the worker.
    await storeRenderedPages(await pagesOptions());
    await options.afterAstro();
    const [files, reused] = await alongside.result();
    await recordAssets(cacheDir, options.outDir, config.base);
    succeeded = true;
    return { written: files.written, reused: files.reused + reused };
  } finally {
    providePagesToRender(undefined);
    await claim.release(succeeded);
  }
}

/** Every page rendered, the busy cache never touched: this build gets a throwaway one, and no page cache at all. */
async function buildWithoutCache(options: BuildPagesOptions): Promise<CustomerFilesResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'qwoty-astro-'));
  try {
    const { plan, directory } = await planPages(options, undefined, true);
    const files = alongsideAstro(() => options.writeCustomerFiles(directory, undefined, true));
    providePagesToRender(files.starting(async () => plan.render));
    await files.during(
      build({ ...options.config, cacheDir: scratch, experimental: { incrementalBuild: false } }),
    );
    await options.afterAstro();
    return await files.result();
  } finally {
    providePagesToRender(undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The share of the customers' pages Astro may render for the files to be placed while it does. */
const MOST_RENDERED_ALONGSIDE = 0.1;

/**
 * Before Astro, on a night that renders few pages: every customer's folder and file, sent as they are
 * gathered to a worker that makes the folders, writes the files that changed and links the others from the
 * cache while Astro builds (Astro does not empty the new site folder: `freshOutDir` in `site-config.ts`).
 * At 100,000 contacts that is 12,500 folders and 25,000 links, placed in slices on Astro's own thread
 * before; next nights, interleaved with that (3 each): 11.4-12.3 s against 12.1-12.9 s. Gathered alongside
 * Astro instead, the worker started only once Astro was done. The pages wait for the plan's last check
 * (`decidePages`): Astro may yet have to render them, and would then write through a link into the cache's
 * copy.
 */
async function placeEarly(
  options: BuildPagesOptions,
  plan: CustomerPagePlan,
  directory: Directory,
  cacheDir: string,
  force: boolean,
): Promise<{ files: Promise<CustomerFilesResult> }> {
  const placing = new Placing();
  await makeCustomerFolders(
    options.outDir,
    plan.pages.map((page) => page.id),
    placing,
  );
  const written = await options.writeCustomerFiles(directory, cacheDir, force, placing);
  const files = placing.run().then(() => written);
  // Awaited after Astro, or when it fails; not a rejection nobody handles meanwhile.
  files.catch(() => undefined);
  return { files };
}

/**
 * Work done while Astro renders the pages rather than after them: the pages the cache holds need only the
 * plan, and their links (12,500 at 100,000 contacts) then overlap Astro's rendering on a night where it
 * renders few pages; on other nights, the customers' files too. Started when Astro asks which customer pages
 * to render (`starting`), or after it (`result`): by then it has emitted the scripts and styles the plan's
 * last check needs. `during` waits for the work too when Astro fails, so that nothing is still being
 * written into the folder that is thrown away.
 */
function alongsideAstro<T>(work: () => Promise<T>) {
  let started: Promise<T> | undefined;
  const start = () => {
    started ??= work();
    return started;
  };
  return {
    starting:
      (decide: PagesToRender): PagesToRender =>
      async () => {
        start().catch(() => undefined);
        return decide();
      },
    async during(astro: Promise<void>): Promise<void> {
      try {
        await astro;
      } catch (error) {
        await started?.catch(() => undefined);
        throw error;
      }
    },
    /** The work's result; done now when Astro never asked (a build without customer pages). */
    result: start,
  };
}

/** Reads the snapshot and decides which customer pages Astro renders. */
async function planPages(
  options: BuildPagesOptions,
  cacheDir: string | undefined,
  force: boolean,
): Promise<{ plan: CustomerPagePlan; directory: Directory }> {
  const directory = await options.readFirst();
  const plan = await planCustomerPages({
    customers: directory.customers,
    demo: directory.snapshot.source.demo,
    settings: options.pageSettings,
    cacheDir,
    force,
  });
  options.onPages(plan.render.size);
  return { plan, directory };
}

/**
 * The plan as `getStaticPaths` takes it, checked once Astro emitted its scripts and stylesheets: every page
 * is rendered when one copied from the cache could link a file this build did not emit (a copied page keeps
 * the file names of the build that rendered it; its key holds the pages' code, so only a build that is not
 * reproducible would rename one), or when nothing records what the cached pages link. `final` is the plan
 * that was followed.
 */
function decidePages(
  options: BuildPagesOptions,
  plan: CustomerPagePlan,
  before: ReadonlySet<string> | null,
): { pagesToRender: () => Promise<ReadonlySet<string>>; final: () => Promise<CustomerPagePlan> } {
  let decided: Promise<CustomerPagePlan> | undefined;
  const decide = async (): Promise<CustomerPagePlan> => {
    if (plan.render.size === plan.pages.length) return plan;
    const dropped = before && (await findDroppedAsset(options.outDir, before, options.config.base));
    if (before && dropped === undefined) return plan;
    options.warn(
      dropped
        ? `The last build emitted ${dropped} and this one did not, and a page copied from the site cache could link it: rendering every page.`
        : 'Nothing records which files the pages in the site cache link: rendering every page.',
    );
    const every = renderEveryPage(plan);
    options.onPages(every.render.size);
    return every;
  };
  const final = () => {
    decided ??= decide();
    return decided;
  };
  return { pagesToRender: async () => (await final()).render, final };
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
