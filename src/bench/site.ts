/**
 * The directory site at scale, for `npm run bench:site` and `npm run bench`.
 *
 * Publishes a fixture snapshot of N contacts, builds the real site from it, builds a bare Astro site with
 * as many HTML pages (a minimal project in a temporary folder, same Astro, trivial pages), and
 * measures in Chromium how long results take to show after a keystroke.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { siteFolder } from '../site/build/site-folder.ts';
import { NODE, ROOT, runBuild } from '../testing/build-fixture-site.ts';
import { launchChromium } from '../testing/chromium.ts';
import { makeSnapshot, writePublishedSnapshot } from '../testing/site-fixture.ts';
import { serveDirectory } from '../testing/static-server.ts';
import { type FirstQueryResult, measureFirstQuery } from './first-query.ts';
import { clearResultTimes, resultTimes, timeResults } from './result-timer.ts';
import { kilobytes, megabytes, percentile, seconds } from './stats.ts';

export interface SiteBenchResult {
  contacts: number;
  customers: number;
  /** Files the site build wrote from routes (pages and endpoints). */
  routes: number;
  /** HTML pages among them: what the bare build builds as many of (the issue's "pages alone"). */
  pages: number;
  /** A full build: every page rendered, and written to the incremental cache (a first night). */
  buildMs: number;
  /** Its process's peak resident memory, MB (the highest of the runs). */
  buildPeakRssMb: number;
  /** The same snapshot built again with the cache: every page copied (a night without changes). */
  reuseBuildMs: number;
  reusePeakRssMb: number;
  /** A bare Astro project with as many trivial pages (`buildBareSite`): the baseline. */
  bareBuildMs: number;
  barePeakRssMb: number;
  /** `buildMs / bareBuildMs`: a first night against the bare build; the target is at most 1.0. */
  buildRatio: number;
  /** `reuseBuildMs / bareBuildMs`: a night without changes against the bare build; the target is at most 0.5. */
  reuseRatio: number;
  /** The home page as a browser first loads it (HTML, CSS, JS), gzip-compressed, in bytes. */
  homeGzipBytes: number;
  homeHtmlBytes: number;
  /** Every search file (header, contacts, all id chunks). */
  searchRawBytes: number;
  searchGzipBytes: number;
  /** What the first search downloads: the header and the contacts file, gzip. */
  searchUpfrontGzipBytes: number;
  /** One id chunk, gzip (the largest); results need one or a few. */
  idChunkGzipBytes: number;
  /** From the first focus of the search box until the first results (download, parse, index), ms. */
  firstSearchMs: number;
  /** From a keystroke to the results painted, ms, over every keystroke of the queries. */
  keystrokeMedianMs: number;
  keystrokeP95Ms: number;
  keystrokes: number;
  /** From the keystroke that makes a query misspelt (`FUZZY_QUERIES`) to its closest matches painted, ms. */
  fuzzyMedianMs: number;
  fuzzyP95Ms: number;
  fuzzyKeystrokes: number;
  /** A query typed 1 s after the home page loaded, search data preloaded or on demand (`first-query.ts`). */
  firstQuery: FirstQueryResult;
}

/** Queries typed one character at a time; they exercise names, accents, emails, phones and customers. */
export const BENCH_QUERIES = [
  'zoe',
  'nunez',
  'jean dup',
  'acme',
  '+33 6 12',
  'smith',
  'example.com',
  'signer',
];

/**
 * Misspelt queries, each of which finds nothing as typed once its last character is typed (that keystroke
 * is timed, several times): a swap, a letter dropped, doubled or changed, alone or after an exact word.
 */
export const FUZZY_QUERIES = ['zoe nunze', 'sohpie', 'vandeley', 'inittech', 'bjorn angstorm', 'hoooli'];

/** Times each query's last keystroke is retyped in the fuzzy measure. */
const FUZZY_REPEATS = 5;

const gzip = (body: Buffer | string) => gzipSync(body, { level: 6 }).length;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function execNode(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TimedBuild> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(NODE, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${args.join(' ')} failed: ${stderr}`));
      else resolve({ ms: performance.now() - started, peakRssMb: reportedPeakMb(stderr) });
    });
  });
}

/** Builds a minimal Astro project with `pages` trivial pages in `dir`, a new folder; resolves with its time and memory. */
async function buildBareSite(dir: string, pages: number): Promise<TimedBuild> {
  await mkdir(join(dir, 'src/pages/p'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'package.json'), '{ "name": "bare", "private": true, "type": "module" }\n');
  await writeFile(
    join(dir, 'astro.config.mjs'),
    "export default { outDir: 'dist', devToolbar: { enabled: false } };\n",
  );
  await writeFile(
    join(dir, 'src/pages/p/[id].astro'),
    `---
export function getStaticPaths() {
  return Array.from({ length: ${pages - 1} }, (_, i) => ({ params: { id: String(i) } }));
}
const { id } = Astro.params;
---
<html lang="en"><head><title>Page {id}</title></head><body><h1>Page {id}</h1></body></html>
`,
  );
  await writeFile(join(dir, 'src/pages/index.astro'), '<html lang="en"><body><h1>Home</h1></body></html>\n');
  return execNode([join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build'], dir, {
    ...process.env,
    ...peakReportingEnv(),
    ASTRO_TELEMETRY_DISABLED: '1',
  });
}

/** The home page's own files (HTML plus the stylesheets and scripts it references), gzip-compressed. */
async function homeTransfer(siteDir: string): Promise<{ html: number; gzip: number }> {
  const html = await readFile(join(siteDir, 'index.html'), 'utf8');
  let total = gzip(html);
  for (const [, url] of html.matchAll(
    /<(?:link[^>]+rel="stylesheet"[^>]*href|script[^>]+src)="(\/[^"]+)"/g,
  )) {
    total += gzip(await readFile(join(siteDir, url ?? '')));
  }
  for (const [, url] of html.matchAll(/<link[^>]+href="(\/[^"]+\.svg)"/g)) {
    total += gzip(await readFile(join(siteDir, url ?? '')));
  }
  return { html: Buffer.byteLength(html), gzip: total };
}

/** Types `queries` in the home page's search box and times every keystroke until its results are painted. */
async function measureKeystrokes(siteDir: string, queries: readonly string[]) {
  const server = await serveDirectory(siteDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await timeResults(page);
    const firstStarted = performance.now();
    await page.locator('#q').focus();
    await page.keyboard.type('a');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#search-results')?.dataset.query === 'a',
      { timeout: 120_000 },
    );
    const firstSearchMs = performance.now() - firstStarted;
    const times: number[] = [];
    for (const query of queries) {
      await page.locator('#q').fill('');
      await clearResultTimes(page);
      for (const character of query) {
        await page.keyboard.type(character);
        await page.waitForFunction(
          (expected) => document.querySelector<HTMLElement>('#search-results')?.dataset.query === expected,
          await page.locator('#q').inputValue(),
        );
      }
      await page.waitForTimeout(50);
      times.push(...(await resultTimes(page)));
    }
    const fuzzyTimes: number[] = [];
    for (const query of FUZZY_QUERIES) {
      await page.locator('#q').fill(query.slice(0, -1));
      await page.waitForFunction(
        (expected) => document.querySelector<HTMLElement>('#search-results')?.dataset.query === expected,
        query.slice(0, -1),
      );
      for (let repeat = 0; repeat < FUZZY_REPEATS; repeat++) {
        await clearResultTimes(page);
        await page.keyboard.type(query.slice(-1));
        await page.waitForFunction(
          (expected) => document.querySelector<HTMLElement>('#search-results')?.dataset.query === expected,
          query,
        );
        await page.waitForTimeout(50);
        const fuzzy = await page.locator('#search-results').getAttribute('data-fuzzy');
        if (fuzzy !== 'true') throw new Error(`"${query}" found matches as typed: not a fuzzy query`);
        fuzzyTimes.push(...(await resultTimes(page)));
        await page.keyboard.press('Backspace');
        await page.waitForFunction(
          (expected) => document.querySelector<HTMLElement>('#search-results')?.dataset.query === expected,
          query.slice(0, -1),
        );
      }
    }
    return { firstSearchMs, times, fuzzyTimes };
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Moves `dir`, if any, out of the way, to be deleted with `rm` once the timed builds are done.
 *
 * Deleting right before a timed build would time the file system instead of the build: on ext4 without a
 * journal (this machine's disk), creating a file skips, one by one, every inode freed in the last minute or
 * more (`recently_deleted()` in the kernel's inode allocator). After deleting the last bench's 100,000 files,
 * the site build (50,000 new files: pages and their cache copies) took up to 25 s more of kernel time, the
 * bare build (25,000) much less. So every timed build writes into a new folder, as `npm run nightly` does
 * (a staging folder), and nothing is deleted until they are done.
 */
async function setAside(dir: string, trash: string[]): Promise<void> {
  const aside = `${dir}.old-${process.pid}-${trash.length}`;
  try {
    await rename(dir, aside);
    trash.push(aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Where the fixture and every build of one measure live; `trash` is deleted once the timed builds are done. */
interface SiteWork {
  workDir: string;
  dataDir: string;
  siteDir: string;
  trash: string[];
}

/** A timed build: its wall time and its process's peak resident memory. */
export interface TimedBuild {
  ms: number;
  peakRssMb: number;
}

/** Makes every Node process it starts report its peak memory on exit (`scripts/report-peak-memory.ts`). */
function peakReportingEnv(): NodeJS.ProcessEnv {
  const preload = `--import ${join(ROOT, 'scripts/report-peak-memory.ts')}`;
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ') };
}

/** The peak memory a build reported on stderr, in MB; NaN when it reported none. */
function reportedPeakMb(stderr: string): number {
  const reported = [...stderr.matchAll(/^\[peak-rss\] (\d+)$/gm)].at(-1)?.[1];
  return reported === undefined ? Number.NaN : Number(reported) / 1024;
}

/** Builds the real site as `npm run build` does (one progress line, not Astro's list of routes). */
async function timeSiteBuild(
  dataDir: string,
  siteDir: string,
  options: { cacheDir?: string; reuse?: boolean } = {},
): Promise<TimedBuild> {
  const build = await runBuild(dataDir, siteDir, { ...options, quiet: true, env: peakReportingEnv() });
  if (build.code !== 0) throw new Error(`The site build failed: ${build.stderr || build.stdout}`);
  return { ms: build.ms, peakRssMb: reportedPeakMb(build.stderr) };
}

/** Moves the last measure's folder aside, writes the fixture snapshot, and lets the disk settle. */
async function prepareFixture(contacts: number, workDir: string): Promise<SiteWork & { customers: number }> {
  const work = { workDir, dataDir: join(workDir, 'data'), siteDir: join(workDir, 'dist'), trash: [] };
  await setAside(workDir, work.trash);
  const snapshot = makeSnapshot({ contacts });
  await writePublishedSnapshot(work.dataDir, snapshot);
  // What earlier work left for the disk to write (in `npm run bench`, 1.5 GB of fetch runs at 100,000
  // contacts) is written now, not during the timed builds: it made a first night 1.2x to 1.6x the bare build.
  await new Promise<void>((resolve) => execFile('sync', () => resolve()));
  return { ...work, customers: snapshot.customers.length };
}

/**
 * First nights: the site built with no cache and a bare Astro site of as many pages, alternated `runs`
 * times; the fastest of each counts (other work on the machine only slows), and the highest peak memory.
 */
async function timeFirstNights(work: SiteWork, runs: number, log: (line: string) => void) {
  log('Building the site…');
  const builds = [await timeSiteBuild(work.dataDir, work.siteDir)];
  const files = await listFiles(work.siteDir);
  const fromPublic = new Set(await listFiles(join(ROOT, 'public')));
  const built = files.filter((file) => !file.startsWith('_astro/') && !fromPublic.has(file));
  const routes = built.length;
  // The baseline is the pages alone: the customer files and exports are the site's own work, not Astro's.
  const pages = built.filter((file) => file.endsWith('.html')).length;
  log(`Building a bare Astro site of ${pages.toLocaleString('en')} pages…`);
  const bares = [await buildBareSite(join(work.workDir, 'bare'), pages)];
  for (let run = 1; run < runs; run++) {
    log(`Building both again (run ${run + 1})…`);
    // New folders, new cache: every run is a first night, as the first.
    const siteDir = join(work.workDir, `dist-${run}`);
    builds.push(await timeSiteBuild(work.dataDir, siteDir));
    bares.push(await buildBareSite(join(work.workDir, `bare-${run}`), pages));
    work.trash.push(
      siteDir,
      siteFolder(siteDir).versionsDir,
      `${siteDir}-cache`,
      join(work.workDir, `bare-${run}`),
    );
  }
  const fastest = (timed: TimedBuild[]): TimedBuild => ({
    ms: Math.min(...timed.map((build) => build.ms)),
    peakRssMb: Math.max(...timed.map((build) => build.peakRssMb)),
  });
  return { site: fastest(builds), bare: fastest(bares), routes, pages, files };
}

/** The same snapshot built again with the first build's cache: every page copied (a night without changes). */
async function timeNextNight(work: SiteWork, log: (line: string) => void): Promise<TimedBuild> {
  log('Building the site again from the same snapshot, reusing the cache (a night with no changes)…');
  const next = `${work.siteDir}-next`;
  const timed = await timeSiteBuild(work.dataDir, next, { cacheDir: `${work.siteDir}-cache`, reuse: true });
  work.trash.push(next, siteFolder(next).versionsDir);
  return timed;
}

/** The sizes of the search files: all of them, what the first search loads, and the largest id chunk. */
async function searchDataSizes(siteDir: string, files: readonly string[]) {
  const sizes = { searchRawBytes: 0, searchGzipBytes: 0, searchUpfrontGzipBytes: 0, idChunkGzipBytes: 0 };
  for (const file of files.filter((name) => name.startsWith('search/'))) {
    const body = await readFile(join(siteDir, file));
    const compressed = gzip(body);
    sizes.searchRawBytes += body.length;
    sizes.searchGzipBytes += compressed;
    if (file.startsWith('search/ids-')) {
      sizes.idChunkGzipBytes = Math.max(sizes.idChunkGzipBytes, compressed);
    } else sizes.searchUpfrontGzipBytes += compressed;
  }
  return sizes;
}

/** Builds and measures the site for a fixture of `contacts` contacts, in `workDir` (default `.bench/site-N`). */
export async function measureSite(options: {
  contacts: number;
  workDir?: string;
  queries?: readonly string[];
  /** Builds of each site, alternated; the fastest of each counts (other work on the machine only slows). */
  runs?: number;
  log?: (line: string) => void;
}): Promise<SiteBenchResult> {
  const log = options.log ?? (() => undefined);
  log(`Writing a fixture snapshot of ${options.contacts.toLocaleString('en')} contacts…`);
  const work = await prepareFixture(
    options.contacts,
    options.workDir ?? join(ROOT, '.bench', `site-${options.contacts}`),
  );
  const first = await timeFirstNights(work, options.runs ?? 1, log);
  const next = await timeNextNight(work, log);
  for (const dir of work.trash) await rm(dir, { recursive: true, force: true });

  const home = await homeTransfer(work.siteDir);
  const search = await searchDataSizes(work.siteDir, first.files);
  log('Typing in Chromium…');
  const typed = await measureKeystrokes(work.siteDir, options.queries ?? BENCH_QUERIES);
  log('Typing 1 s after the home page loaded, with and without the idle preload…');
  const firstQuery = await measureFirstQuery(work.siteDir);
  return {
    contacts: options.contacts,
    customers: work.customers,
    routes: first.routes,
    pages: first.pages,
    buildMs: first.site.ms,
    buildPeakRssMb: first.site.peakRssMb,
    reuseBuildMs: next.ms,
    reusePeakRssMb: next.peakRssMb,
    bareBuildMs: first.bare.ms,
    barePeakRssMb: first.bare.peakRssMb,
    buildRatio: first.site.ms / first.bare.ms,
    reuseRatio: next.ms / first.bare.ms,
    homeGzipBytes: home.gzip,
    homeHtmlBytes: home.html,
    ...search,
    firstSearchMs: typed.firstSearchMs,
    keystrokeMedianMs: percentile(typed.times, 0.5),
    keystrokeP95Ms: percentile(typed.times, 0.95),
    keystrokes: typed.times.length,
    fuzzyMedianMs: percentile(typed.fuzzyTimes, 0.5),
    fuzzyP95Ms: percentile(typed.fuzzyTimes, 0.95),
    fuzzyKeystrokes: typed.fuzzyTimes.length,
    firstQuery,
  };
}

export function formatSiteBench(result: SiteBenchResult): string {
  const kb = (bytes: number) => kilobytes(bytes, 1);
  const s = (ms: number) => seconds(ms, 1);
  const mb = (value: number) => megabytes(value);
  const rows: Array<[string, string]> = [
    [
      'contacts / customers',
      `${result.contacts.toLocaleString('en')} / ${result.customers.toLocaleString('en')}`,
    ],
    ['routes built (pages + files)', result.routes.toLocaleString('en')],
    ['HTML pages among them', result.pages.toLocaleString('en')],
    ['site build, first night (no cache)', `${s(result.buildMs)}, peak ${mb(result.buildPeakRssMb)}`],
    [
      'site build, next night (cache, no changes)',
      `${s(result.reuseBuildMs)}, peak ${mb(result.reusePeakRssMb)}`,
    ],
    ['bare Astro build, as many HTML pages', `${s(result.bareBuildMs)}, peak ${mb(result.barePeakRssMb)}`],
    ['first night ÷ bare build (target ≤ 1.0×)', `${result.buildRatio.toFixed(2)}×`],
    ['next night ÷ bare build (target ≤ 0.5×)', `${result.reuseRatio.toFixed(2)}×`],
    [
      'home page transfer (gzip, HTML+CSS+JS)',
      `${kb(result.homeGzipBytes)} (HTML ${kb(result.homeHtmlBytes)} raw)`,
    ],
    ['search data, all files (raw / gzip)', `${kb(result.searchRawBytes)} / ${kb(result.searchGzipBytes)}`],
    ['search data, first search (gzip)', kb(result.searchUpfrontGzipBytes)],
    ['search data, one id chunk (gzip)', kb(result.idChunkGzipBytes)],
    ['first search, typed right after load (load + index)', `${result.firstSearchMs.toFixed(0)} ms`],
    [
      `query typed ${result.firstQuery.delayMs / 1000} s after load → results`,
      `median ${result.firstQuery.preloaded.medianMs.toFixed(0)} ms, max ${result.firstQuery.preloaded.maxMs.toFixed(0)} ms (data loaded on demand: median ${result.firstQuery.onDemand.medianMs.toFixed(0)} ms, max ${result.firstQuery.onDemand.maxMs.toFixed(0)} ms; ${result.firstQuery.preloaded.samples.length} page loads each)`,
    ],
    [
      'search data indexed before that query',
      `${result.firstQuery.preloaded.readyBeforeKeystroke} of ${result.firstQuery.preloaded.samples.length} page loads, median ${result.firstQuery.preloaded.readyAfterLoadMs.toFixed(0)} ms after load`,
    ],
    [
      'search data preloaded on a home visit (raw / gzip)',
      `${kb(result.firstQuery.preloadRawBytes)} / ${kb(result.firstQuery.preloadGzipBytes)}`,
    ],
    [
      'keystroke → results painted',
      `median ${result.keystrokeMedianMs.toFixed(1)} ms, p95 ${result.keystrokeP95Ms.toFixed(1)} ms (${result.keystrokes} keystrokes)`,
    ],
    [
      'misspelt query → closest matches painted',
      `median ${result.fuzzyMedianMs.toFixed(1)} ms, p95 ${result.fuzzyP95Ms.toFixed(1)} ms (${result.fuzzyKeystrokes} keystrokes; ${(result.fuzzyMedianMs / result.keystrokeMedianMs).toFixed(1)}× / ${(result.fuzzyP95Ms / result.keystrokeP95Ms).toFixed(1)}× the exact queries)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
