/**
 * A site built into a folder outside the checkout (`/var/www/qwoty` on a server), by a build whose working
 * folder is `/` as under cron or a unit without `WorkingDirectory=`: Astro then writes its prerender bundle
 * inside the site folder, where Node once found no `node_modules` (`ERR_MODULE_NOT_FOUND: Cannot find package
 * 'piccolore'`). From a fresh cache, after a killed build, and in both languages.
 */
import { execFile, spawn } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { siteFolder } from '../../src/site/build/site-folder.ts';
import { readSiteManifest } from '../../src/site/build/site-manifest.ts';
import { NODE, ROOT } from '../../src/testing/build-fixture-site.ts';
import { launchChromium } from '../../src/testing/chromium.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';
import { serveDirectory } from '../../src/testing/static-server.ts';

const BUILD = path.join(ROOT, 'scripts', 'build-site.ts');
let root: string;
let dataDir: string;
let siteDir: string;
let browser: Browser;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-www-'));
  dataDir = path.join(root, 'data');
  siteDir = path.join(root, 'www', 'qwoty');
  await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 24, demo: true }));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

function env(lang: string, cache: string) {
  return {
    ...process.env,
    QWOTY_DATA_DIR: dataDir,
    QWOTY_SITE_DIR: siteDir,
    QWOTY_SITE_CACHE_DIR: path.join(root, cache),
    QWOTY_SITE_LANG: lang,
    ASTRO_TELEMETRY_DISABLED: '1',
  };
}

/** `npm run build`, from `/`. */
function build(lang: string, cache: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [BUILD],
      { cwd: '/', env: env(lang, cache), maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** What a visitor sees: the home page's language and heading, and a customer page's title, in Chromium. */
async function visit(): Promise<{ lang: string; customers: number; customerTitle: string }> {
  const server = await serveDirectory(siteDir);
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}/`);
    const lang = await page.evaluate(() => document.documentElement.lang);
    const customers = await readdir(path.join(siteDir, 'customers'));
    const response = await page.goto(`${server.url}/customers/${customers[0]}/`);
    expect(response?.status()).toBe(200);
    return { lang, customers: customers.length, customerTitle: await page.title() };
  } finally {
    await page.close();
    await server.close();
  }
}

/** Nothing of the build's plumbing is left in the site or next to it. */
async function noLeftovers() {
  const live = await realpath(siteDir);
  expect(await lstat(path.join(live, '.prerender')).catch(() => null)).toBeNull();
  expect(await readdir(siteFolder(siteDir).versionsDir)).not.toContain('node_modules');
}

describe('a site built into a folder outside the checkout, from /', () => {
  test('builds from a fresh cache, in English', async () => {
    const built = await build('en', 'cache-en');
    expect(built.output).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(built.code).toBe(0);
    const seen = await visit();
    expect(seen.lang).toBe('en');
    expect(seen.customers).toBeGreaterThan(0);
    expect(seen.customerTitle).not.toBe('');
    const manifest = await readSiteManifest(await realpath(siteDir));
    expect(manifest?.snapshot).toBe(path.basename(await realpath(path.join(dataDir, 'current'))));
    await noLeftovers();
  });

  test('builds again after a build killed in the middle, in French', async () => {
    const { versionsDir } = siteFolder(siteDir);
    const before = await realpath(siteDir);
    const child = spawn(NODE, [BUILD], { cwd: '/', env: env('fr', 'cache-fr'), stdio: 'ignore' });
    // Killed once Astro is at work in its staging folder.
    for (let waited = 0; waited < 60_000; waited += 50) {
      const staging = (await readdir(versionsDir)).filter((name) => name.startsWith('.staging-'));
      if (
        staging.length > 0 &&
        (await readdir(path.join(versionsDir, staging[0] ?? '')).catch(() => [])).length > 0
      )
        break;
      await sleep(50);
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(await realpath(siteDir)).toBe(before);

    const built = await build('fr', 'cache-fr');
    expect(built.output).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(built.code).toBe(0);
    expect((await visit()).lang).toBe('fr');
    expect(await readFile(path.join(siteDir, 'index.html'), 'utf8')).toContain('lang="fr"');
    await noLeftovers();
  });
});
