/**
 * The site built with `QWOTY_SITE_BASE=/contacts/` and served under that path by a real nginx with the shipped
 * `deploy/nginx.conf` (its root a folder whose `contacts` entry is the site), read in headless Chromium: every
 * link, script, style, search and export file, feed and download is under `/contacts/` and answers. Skipped
 * with a message without Chromium or nginx, except in CI.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contactName } from '../../src/site/build/directory.ts';
import { buildFixtureSite, type FixtureSite } from '../../src/testing/build-fixture-site.ts';
import { hasChromium, launchChromium } from '../../src/testing/chromium.ts';
import { typeQuery } from '../helpers/e2e.ts';
import { isInstalled, NGINX, type WebServer } from './web-servers.ts';

const BASE = '/contacts/';
const runs = (hasChromium() && isInstalled(NGINX)) || process.env.CI;
if (!runs) console.warn('Skipping the base-path tests: they need Chromium and nginx.');
const suite = runs ? describe : describe.skip;

let site: FixtureSite;
let root: string;
let server: WebServer;
let browser: Browser;
const problems: string[] = [];
/** Every URL the browser asked for, with the status it got. */
const answers: { url: string; status: number }[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => problems.push(`${path}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${path}: console: ${message.text()}`);
  });
  // A request the page's own navigation cancelled (the favicon still loading when a result is followed) is
  // not a wrong URL; a URL outside the base shows as a 404 in `answers`.
  page.on('requestfailed', (request) => {
    const why = request.failure()?.errorText ?? '';
    if (why !== 'net::ERR_ABORTED') problems.push(`${path}: failed (${why}): ${request.url()}`);
  });
  page.on('response', (response) => answers.push({ url: response.url(), status: response.status() }));
  const response = await page.goto(`${server.url}${path}`);
  expect(response?.status(), path).toBe(200);
  return page;
}

/** Every URL a page names: links, scripts, styles, forms, and the data files its scripts load. */
function urlsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const element of document.querySelectorAll(
      '[href], [src], [action], [data-header], [data-contacts], [data-export], [data-csv]',
    )) {
      for (const name of [
        'href',
        'src',
        'action',
        'data-header',
        'data-contacts',
        'data-export',
        'data-csv',
      ]) {
        const value = element.getAttribute(name);
        if (value !== null && !value.startsWith('#') && !/^(mailto|tel):/.test(value)) found.push(value);
      }
    }
    return found;
  });
}

beforeAll(async () => {
  if (!runs) return;
  site = await buildFixtureSite({ contacts: 80, base: BASE });
  root = await mkdtemp(join(tmpdir(), 'qwoty-base-root-'));
  await symlink(site.siteDir, join(root, 'contacts'));
  server = await NGINX.start({ root });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true });
  if (site) await rm(site.dir, { recursive: true, force: true });
});

suite(`the site under ${BASE}`, () => {
  test('names only URLs under the base on every kind of page, and each of them answers', async () => {
    const [customer] = site.snapshot.customers;
    const pages = [BASE, `${BASE}changes/`, `${BASE}quality/`, `${BASE}customers/${customer?.id}/`];
    const named = new Set<string>();
    for (const path of pages) {
      const page = await open(path);
      for (const url of await urlsOf(page)) named.add(url);
      await page.close();
    }
    const paths = [...named].map((url) => new URL(url, `${server.url}${BASE}`)).map((url) => url.pathname);
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) expect(path, 'a URL outside the base').toMatch(/^\/contacts\//);
    for (const kind of [
      '/_astro/',
      '/search/',
      '/export/',
      '/downloads/',
      '/changes/feed.xml',
      '/directory/',
    ]) {
      expect(
        paths.some((path) => path.includes(kind)),
        kind,
      ).toBe(true);
    }
    for (const path of new Set(paths)) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
    }
    expect(answers.filter((answer) => answer.status >= 400)).toEqual([]);
    expect(problems).toEqual([]);
  });

  test('searches, follows a result and downloads the CSV of a search, all under the base', async () => {
    const contact = site.snapshot.contacts.find((each) => contactName(each).length > 3);
    if (!contact) throw new Error('The fixture has no contact with a name to search for');
    const name = contactName(contact);
    const page = await open(BASE);
    await typeQuery(page, name);
    const link = page.locator('#search-results .result-name', { hasText: name }).first();
    expect(await link.getAttribute('href')).toMatch(/^\/contacts\/customers\//);

    const [download]: [Download, unknown] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#result-export [data-action="csv"]').click(),
    ]);
    expect(await download.failure()).toBeNull();

    await link.click();
    await page.waitForURL(/\/contacts\/customers\/[^/]+\/(#.*)?$/);
    expect(answers.filter((answer) => answer.status >= 400)).toEqual([]);
    expect(answers.some((answer) => answer.url.includes(`${BASE}search/`))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  test('links the feed and its entries under the base', async () => {
    const feed = await (await fetch(`${server.url}${BASE}changes/feed.xml`)).text();
    const links = [...feed.matchAll(/href="([^"]+)"/g)].map(([, href]) => new URL(String(href), server.url));
    expect(links.length).toBeGreaterThan(1);
    for (const link of links) expect(link.pathname).toMatch(/^\/contacts\//);
  });
});
