/**
 * What the end-to-end suites in Chromium share: when they run, in which languages, how they type a query and
 * how they check accessibility.
 */
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import type { Snapshot } from '../../src/shared/schema/published.ts';
import { LANGS, type Lang } from '../../src/site/shared/text.ts';
import { buildFixtureSite } from '../../src/testing/build-fixture-site.ts';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../../src/testing/chromium.ts';
import type { PublishOptions } from '../../src/testing/site-fixture.ts';
import { type StaticServer, serveDirectory } from '../../src/testing/static-server.ts';

/**
 * `describe`, or `describe.skip` with a message when there is no Chromium, except in CI (`CI` set), where the
 * suite runs and fails.
 */
export function chromiumSuite(what: string) {
  if (hasChromium() || process.env.CI) return describe;
  console.warn(
    `Skipping ${what}: no Chromium at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
  );
  return describe.skip;
}

/** The languages to test: both, or the one of the site given in `QWOTY_E2E_SITE` (its `<html lang>`). */
export async function e2eLanguages(): Promise<readonly Lang[]> {
  const given = process.env.QWOTY_E2E_SITE;
  if (!given) return LANGS;
  const html = await readFile(`${given}/index.html`, 'utf8').catch(() => '');
  return [(/<html lang="(\w+)"/.exec(html)?.[1] ?? 'en') as Lang];
}

/** Types like a person and waits until the results shown are those of what was typed. */
export async function typeQuery(page: Page, query: string): Promise<void> {
  await page.locator('#q').fill('');
  await page.locator('#q').pressSequentially(query, { delay: 5 });
  await page.waitForFunction(
    (expected) => document.querySelector<HTMLElement>('#search-results')?.dataset.query === expected,
    query,
  );
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe on the page as it is and expects no serious or critical violation. */
export async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected at run time, untyped.
    const axe = (window as any).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (violation: { id: string; impact: string; nodes: { target: string[] }[] }) => ({
        id: violation.id,
        impact: violation.impact,
        targets: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
      }),
    );
  });
  const serious = violations.filter((violation: { impact: string }) =>
    ['serious', 'critical'].includes(violation.impact),
  );
  expect(serious, `axe on ${what}`).toEqual([]);
}

/** The site a suite runs on, served on loopback, and a browser open on it. */
export interface SiteUnderTest {
  siteDir: string;
  /** The site was given in `QWOTY_E2E_SITE`, not built from the fixture. */
  given: boolean;
  server: StaticServer;
  browser: Browser;
  /** The browser context pages open in by default. */
  context: BrowserContext;
  /** Every URL `context`'s pages requested. */
  requests: string[];
  /** Page errors, console errors and dialogs of every page opened with `newPage`: expected to stay empty. */
  problems: string[];
  /** A page whose problems are recorded, in `context` or `options.in`, in dark mode if asked. */
  newPage(options?: { dark?: boolean; in?: BrowserContext }): Promise<Page>;
  /** Closes the browser, stops the server and deletes the fixture site, if one was built. */
  close(): Promise<void>;
}

/**
 * Serves the site in `QWOTY_E2E_SITE`, or builds a fixture site of 120 contacts in `lang` (published with
 * `publish`) and serves that, and opens Chromium with a context made with `context`. Throws when Chromium is
 * missing: a suite only gets here without it in CI.
 */
export async function serveSiteUnderTest(
  lang: Lang,
  options: { publish?: (snapshot: Snapshot) => PublishOptions; context?: BrowserContextOptions } = {},
): Promise<SiteUnderTest> {
  if (!hasChromium()) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: CI must install it (apt-get install -y chromium) to run the end-to-end tests.`,
    );
  }
  const given = process.env.QWOTY_E2E_SITE;
  const fixture = given
    ? undefined
    : await buildFixtureSite({
        contacts: 120,
        lang,
        ...(options.publish ? { publish: options.publish } : {}),
      });
  const siteDir = given ?? fixture?.siteDir ?? '';
  const server = await serveDirectory(siteDir);
  const browser = await launchChromium();
  const context = await browser.newContext(options.context);
  const requests: string[] = [];
  const problems: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  return {
    siteDir,
    given: Boolean(given),
    server,
    browser,
    context,
    requests,
    problems,
    async newPage(pageOptions = {}) {
      const page = await (pageOptions.in ?? context).newPage();
      if (pageOptions.dark) await page.emulateMedia({ colorScheme: 'dark' });
      page.on('dialog', (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
      if (fixture) await rm(fixture.dir, { recursive: true, force: true });
    },
  };
}
