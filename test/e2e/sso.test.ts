/**
 * Single sign-on in front of the site, as `deploy/nginx.conf` and `deploy/Caddyfile` ship it (their `SSO`
 * block uncommented, nothing else changed but the address, the root and oauth2-proxy's port), against a
 * stand-in of oauth2-proxy and its identity provider (src/testing/oauth2-proxy-stand-in.ts): Chromium follows
 * the redirects from a customer page to the provider and back, and ends on that page signed in; without
 * signing in, no page, search file, download or script is served.
 *
 * Skipped with a message without Chromium, nginx or Caddy, except in CI (`CI` set), where that fails.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildFixtureSite } from '../../src/testing/build-fixture-site.ts';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../../src/testing/chromium.ts';
import {
  type OAuth2ProxyStandIn,
  SESSION_COOKIE,
  startOAuth2ProxyStandIn,
} from '../../src/testing/oauth2-proxy-stand-in.ts';
import { SECURITY_HEADERS } from '../deploy/expected-headers.ts';
import { isInstalled, WEB_SERVERS, type WebServer, type WebServerKind } from './web-servers.ts';

const inCi = Boolean(process.env.CI);
const runnable = (kind: WebServerKind) => isInstalled(kind) && hasChromium();
for (const kind of WEB_SERVERS) {
  if (!runnable(kind) && !inCi) {
    console.warn(
      `Skipping the SSO tests through ${kind.name}: they need ${kind.binary} and ${CHROMIUM_PATH}.`,
    );
  }
}

let fixtureDir: string | undefined;
let siteDir: string;
let browser: Browser | undefined;
/** One path of each kind the site serves, all holding or leading to personal data but the script. */
let paths: { page: string; customer: string; search: string; download: string; script: string };

beforeAll(async () => {
  if (!WEB_SERVERS.some(runnable) && !inCi) return;
  const fixture = await buildFixtureSite({ contacts: 24 });
  fixtureDir = fixture.dir;
  siteDir = fixture.siteDir;
  const first = async (dir: string, match: RegExp) => {
    const found = (await readdir(join(siteDir, dir))).sort().find((name) => match.test(name));
    if (!found) throw new Error(`No ${match} in ${dir} of the fixture site`);
    return `/${dir}/${found}`;
  };
  paths = {
    page: '/',
    customer: `${await first('customers', /^[^.]+$/)}/`,
    search: await first('search', /\.json$/),
    download: '/downloads/contacts.csv',
    script: await first('_astro', /\.js$/),
  };
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

for (const kind of WEB_SERVERS) {
  (runnable(kind) || inCi ? describe : describe.skip)(
    `${kind.name} with the oauth2-proxy SSO of deploy/${kind.file} switched on`,
    () => {
      let sso: OAuth2ProxyStandIn;
      let server: WebServer;

      beforeAll(async () => {
        if (!runnable(kind)) throw new Error(`CI must install ${kind.binary} and ${CHROMIUM_PATH}`);
        sso = await startOAuth2ProxyStandIn();
        server = await kind.start({ root: siteDir, sso: { upstream: sso.upstream } });
      });

      afterAll(async () => {
        await server?.stop();
        await sso?.close();
      });

      test('serves no page, search file, download or script without signing in, only a redirect to sign in', async () => {
        for (const path of Object.values(paths)) {
          for (const cookie of [undefined, `${SESSION_COOKIE}=forged`]) {
            // nginx asks oauth2-proxy's /oauth2/sign_in internally (error_page), Caddy redirects the browser
            // there first: either way the browser lands on the provider, with the page it asked for.
            let url = `${server.url}${path}`;
            let location: URL | undefined;
            for (let hop = 0; hop < 3 && !location; hop += 1) {
              const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
              const body = await response.text();
              expect(response.status, `${url} with ${cookie}`).toBe(302);
              expect(body, url).not.toContain('@');
              for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
                expect(response.headers.get(name), `${name} of ${url}`).toBe(value);
              }
              const next = new URL(String(response.headers.get('location')), url);
              if (next.origin === server.url) url = next.href;
              else location = next;
            }
            expect(location?.origin, path).toBe(sso.providerUrl);
            expect(location?.searchParams.get('state'), path).toBe(`${server.url}${path}`);
          }
        }
        expect(sso.requests.filter((line) => line.startsWith('GET /oauth2/auth')).length).toBeGreaterThan(0);
      });

      test('takes the browser through the provider and back to the customer page it asked for, then serves it all', async () => {
        if (!browser) throw new Error('no browser');
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          await page.goto(`${server.url}${paths.customer}`);
          expect(new URL(page.url()).origin).toBe(sso.providerUrl);
          await Promise.all([page.waitForURL(`${server.url}${paths.customer}`), page.click('button')]);
          const expected = await readFile(join(siteDir, paths.customer, 'index.html'), 'utf8');
          const heading = expected.match(/<h1[^>]*>([^<]+)<\/h1>/)?.[1];
          expect(heading).toBeTruthy();
          expect(await page.locator('h1').first().textContent()).toBe(heading);
          const cookies = await context.cookies(server.url);
          expect(cookies.map((cookie) => cookie.name)).toContain(SESSION_COOKIE);

          for (const path of Object.values(paths)) {
            const response = await context.request.get(`${server.url}${path}`, { maxRedirects: 0 });
            expect(response.status(), path).toBe(200);
            expect(await response.body()).toEqual(
              await readFile(join(siteDir, path.endsWith('/') ? `${path}index.html` : path)),
            );
          }
          await page.goto(`${server.url}/`);
          expect(page.url()).toBe(`${server.url}/`);
        } finally {
          await context.close();
        }
      });
    },
  );
}
