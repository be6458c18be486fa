/**
 * The directory site at scale, for `npm run bench:site` and `npm run bench`.
 *
 * Publishes a fixture snapshot of N contacts, builds the real site from it, builds a bare Astro site with
 * the same number of routes (a minimal project in a temporary folder, same Astro, trivial pages), and
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
import { kilobytes, percentile, seconds } from './stats.ts';

export interface SiteBenchResult {
  contacts: number;
  customers: number;
  /** Files the site build wrote from routes (pages and endpoints). */
  routes: number;
  /** A full build: every page rendered, and written to the incremental cache (a first night). */
  buildMs: number;
  /** The same snapshot built again with the cache: every page copied (a night without changes). */
  reuseBuildMs: number;
  bareBuildMs: number;
  /** `buildMs / bareBuildMs`. */
  buildRatio: number;
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

function execNode(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(NODE, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${args.join(' ')} failed: ${stderr}`));
      else resolve(performance.now() - started);
    });
  });
}

/** Builds a minimal Astro project with `pages` trivial pages in `dir`, a new folder; resolves with the time in ms. */
async function buildBareSite(dir: string, pages: number): Promise<number> {
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
  const workDir = options.workDir ?? join(ROOT, '.bench', `site-${options.contacts}`);
  const dataDir = join(workDir, 'data');
  const siteDir = join(workDir, 'dist');
  const trash: string[] = [];
  await setAside(workDir, trash);
  log(`Writing a fixture snapshot of ${options.contacts.toLocaleString('en')} contacts…`);
  const snapshot = makeSnapshot({ contacts: options.contacts });
  await writePublishedSnapshot(dataDir, snapshot);
  // What earlier work left for the disk to write (in `npm run bench`, 1.5 GB of fetch runs at 100,000
  // contacts) is written now, not during the timed builds: it made a first night 1.2x to 1.6x the bare build.
  await new Promise<void>((resolve) => execFile('sync', () => resolve()));

  log('Building the site…');
  const build = await runBuild(dataDir, siteDir);
  if (build.code !== 0) throw new Error(`The site build failed: ${build.stderr || build.stdout}`);
  const buildTimes = [build.ms];
  const files = await listFiles(siteDir);
  const fromPublic = new Set(await listFiles(join(ROOT, 'public')));
  const routes = files.filter((file) => !file.startsWith('_astro/') && !fromPublic.has(file)).length;

  log(`Building a bare Astro site of ${routes.toLocaleString('en')} pages…`);
  const bareTimes = [await buildBareSite(join(workDir, 'bare'), routes)];
  for (let run = 1; run < (options.runs ?? 1); run++) {
    log(`Building both again (run ${run + 1})…`);
    // New folders, new cache: every run is a first night, as the first.
    const again = await runBuild(dataDir, join(workDir, `dist-${run}`));
    if (again.code !== 0) throw new Error(`The site build failed: ${again.stderr || again.stdout}`);
    buildTimes.push(again.ms);
    bareTimes.push(await buildBareSite(join(workDir, `bare-${run}`), routes));
    trash.push(
      join(workDir, `dist-${run}`),
      siteFolder(join(workDir, `dist-${run}`)).versionsDir,
      join(workDir, `dist-${run}-cache`),
      join(workDir, `bare-${run}`),
    );
  }
  const buildMs = Math.min(...buildTimes);
  const bareBuildMs = Math.min(...bareTimes);

  log('Building the site again from the same snapshot, reusing the cache (a night with no changes)…');
  const reuse = await runBuild(dataDir, `${siteDir}-next`, { cacheDir: `${siteDir}-cache`, reuse: true });
  if (reuse.code !== 0) throw new Error(`The site build failed: ${reuse.stderr || reuse.stdout}`);
  await rm(`${siteDir}-next`, { recursive: true, force: true });
  await rm(siteFolder(`${siteDir}-next`).versionsDir, { recursive: true, force: true });
  for (const dir of trash) await rm(dir, { recursive: true, force: true });

  const home = await homeTransfer(siteDir);
  const searchFiles = files.filter((file) => file.startsWith('search/'));
  let searchRawBytes = 0;
  let searchGzipBytes = 0;
  let searchUpfrontGzipBytes = 0;
  let idChunkGzipBytes = 0;
  for (const file of searchFiles) {
    const body = await readFile(join(siteDir, file));
    const compressed = gzip(body);
    searchRawBytes += body.length;
    searchGzipBytes += compressed;
    if (file.startsWith('search/ids-')) idChunkGzipBytes = Math.max(idChunkGzipBytes, compressed);
    else searchUpfrontGzipBytes += compressed;
  }

  log('Typing in Chromium…');
  const typed = await measureKeystrokes(siteDir, options.queries ?? BENCH_QUERIES);
  log('Typing 1 s after the home page loaded, with and without the idle preload…');
  const firstQuery = await measureFirstQuery(siteDir);
  return {
    contacts: options.contacts,
    customers: snapshot.customers.length,
    routes,
    buildMs,
    reuseBuildMs: reuse.ms,
    bareBuildMs,
    buildRatio: buildMs / bareBuildMs,
    homeGzipBytes: home.gzip,
    homeHtmlBytes: home.html,
    searchRawBytes,
    searchGzipBytes,
    searchUpfrontGzipBytes,
    idChunkGzipBytes,
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
  const rows: Array<[string, string]> = [
    [
      'contacts / customers',
      `${result.contacts.toLocaleString('en')} / ${result.customers.toLocaleString('en')}`,
    ],
    ['routes built (pages + files)', result.routes.toLocaleString('en')],
    ['site build', s(result.buildMs)],
    ['site build, next night (cache, no changes)', s(result.reuseBuildMs)],
    ['bare Astro build, same routes', s(result.bareBuildMs)],
    ['build time ratio', `${result.buildRatio.toFixed(2)}×`],
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
