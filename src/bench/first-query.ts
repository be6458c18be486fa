/**
 * The first impression of the home page's search: how long a query typed shortly after the page opened takes
 * to show its results, with the search data loaded as the page opens (what the site does) against the
 * same page loading it on the first keystroke (what it did before, and still does with `Save-Data`), in the
 * same run and the same browser. Also what the early load adds to a visit of the home page. Used by
 * `npm run bench:site` and `npm run bench`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../testing/chromium.ts';
import { serveDirectory } from '../testing/static-server.ts';
import { resultTimes, timeResults, waitForResultTimes } from './result-timer.ts';
import { median } from './stats.ts';

export interface FirstQueryTimes {
  /** From the first keystroke to its results painted, ms, one per page load. */
  samples: number[];
  medianMs: number;
  maxMs: number;
  /** Page loads where the search data was read and indexed before the keystroke. */
  readyBeforeKeystroke: number;
  /** From the page's `load` event to the search data indexed, ms, median (NaN when it never was before the keystroke). */
  readyAfterLoadMs: number;
}

export interface FirstQueryResult {
  /** How long after the page's `load` event the query was typed. */
  delayMs: number;
  query: string;
  /** The site as built: the search data loads as the page opens. */
  preloaded: FirstQueryTimes;
  /** Baseline: the same site with `Save-Data` on, so the data loads on the first keystroke. */
  onDemand: FirstQueryTimes;
  /** What the home page fetched before anyone typed, under `/search/`, gzip-compressed: the preload's cost. */
  preloadGzipBytes: number;
  preloadRawBytes: number;
}

/** One page load: wait `delayMs` after `load`, type the first character of `query`, time its results. */
async function firstKeystroke(
  browser: Browser,
  url: string,
  options: { delayMs: number; query: string; saveData: boolean },
): Promise<{ ms: number; preloaded: string[]; readyAfterLoadMs: number | null }> {
  const context = await browser.newContext();
  try {
    // When the page marks its search data as indexed (`data-loaded`), by the page's clock.
    await context.addInitScript(() => {
      const marks = { ready: -1 };
      Object.assign(window, { __searchReady: marks });
      new MutationObserver(() => {
        if (marks.ready < 0 && document.querySelector('#search-form[data-loaded="true"]')) {
          marks.ready = performance.now();
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-loaded'] });
    });
    if (options.saveData) {
      await context.addInitScript(() => {
        const connection = (navigator as Navigator & { connection?: object }).connection;
        if (connection) Object.defineProperty(connection, 'saveData', { get: () => true });
      });
    }
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(options.delayMs);
    const preloaded = fetched.filter((path) => path.startsWith('/search/'));
    const readyAfterLoadMs = await page.evaluate(() => {
      const ready = (window as unknown as { __searchReady: { ready: number } }).__searchReady.ready;
      const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      return ready < 0 || !navigation ? null : ready - navigation.loadEventEnd;
    });
    await timeResults(page);
    await page.locator('#q').focus();
    await page.keyboard.type(options.query.charAt(0));
    await waitForResultTimes(page, 1);
    const [ms = Number.NaN] = await resultTimes(page);
    return { ms, preloaded, readyAfterLoadMs };
  } finally {
    await context.close();
  }
}

/**
 * Opens the home page of the site in `siteDir` `runs` times in each mode, alternating, and times the first
 * keystroke typed `delayMs` after the page loaded.
 */
export async function measureFirstQuery(
  siteDir: string,
  options: { delayMs?: number; runs?: number; query?: string } = {},
): Promise<FirstQueryResult> {
  const delayMs = options.delayMs ?? 1000;
  // Ten loads: the target is every load answering in time, and the slowest of five hid one load in ten.
  const runs = options.runs ?? 10;
  const query = options.query ?? 'dupont';
  const server = await serveDirectory(siteDir);
  const browser = await launchChromium();
  const preloaded: number[] = [];
  const onDemand: number[] = [];
  const ready: Array<number | null> = [];
  const readyOnDemand: Array<number | null> = [];
  let preloadedFiles: string[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const early = await firstKeystroke(browser, `${server.url}/`, { delayMs, query, saveData: false });
      preloaded.push(early.ms);
      ready.push(early.readyAfterLoadMs);
      preloadedFiles = early.preloaded;
      const late = await firstKeystroke(browser, `${server.url}/`, { delayMs, query, saveData: true });
      onDemand.push(late.ms);
      readyOnDemand.push(late.readyAfterLoadMs);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  let preloadGzipBytes = 0;
  let preloadRawBytes = 0;
  for (const path of new Set(preloadedFiles)) {
    const body = await readFile(join(siteDir, decodeURIComponent(path)));
    preloadRawBytes += body.length;
    preloadGzipBytes += gzipSync(body, { level: 6 }).length;
  }
  const times = (samples: number[], readyAt: Array<number | null>): FirstQueryTimes => {
    const readyBefore = readyAt.filter((value): value is number => value !== null);
    return {
      samples,
      medianMs: median(samples),
      maxMs: Math.max(...samples),
      readyBeforeKeystroke: readyBefore.length,
      readyAfterLoadMs: median(readyBefore),
    };
  };
  return {
    delayMs,
    query,
    preloaded: times(preloaded, ready),
    onDemand: times(onDemand, readyOnDemand),
    preloadGzipBytes,
    preloadRawBytes,
  };
}
