/**
 * The built site served by a real nginx and a real Caddy (Debian's), each configured by the file the
 * project ships (`deploy/nginx.conf`, `deploy/Caddyfile`) with only its address and root replaced: every
 * header on every kind of file, the media types and bytes of the downloads, the 404 page, redirects, and the
 * basic auth the files document.
 *
 * The site is a small fixture site built for the test, or `QWOTY_E2E_SITE=<dir>` (the demo site in CI).
 * Without /usr/sbin/nginx or /usr/bin/caddy its tests are skipped with a message, except in CI (`CI` set),
 * where that fails.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { networkInterfaces, tmpdir, userInfo } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildFixtureSite } from '../../src/testing/build-fixture-site.ts';
import { cacheControlFor, MEDIA_TYPES, SECURITY_HEADERS } from '../deploy/expected-headers.ts';
import {
  DEBIAN_WELCOME,
  isInstalled,
  NGINX,
  WEB_SERVERS,
  type WebServer,
  type WebServerKind,
} from './web-servers.ts';

const inCi = Boolean(process.env.CI);
for (const kind of WEB_SERVERS) {
  if (!isInstalled(kind) && !inCi) {
    console.warn(
      `Skipping the ${kind.name} tests: no ${kind.binary}. Install it with \`apt-get install -y ${kind.name === 'nginx' ? 'nginx-light' : 'caddy'}\`.`,
    );
  }
}

/** Downloads of features to come, written next to the real ones so their media types are checked now. */
const SAMPLES: Record<string, string> = {
  'media-type-sample.vcf': 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Sample\r\nEND:VCARD\r\n',
  'media-type-sample.xml':
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"/>\n',
};

let siteDir: string;
let fixtureDir: string | undefined;
/** What the servers serve: the site's entries as links, and a real `downloads/` with the samples added. */
let root: string;
let downloads: string[];
/** URL paths of a few files of each top-level entry of the site, every entry covered. */
let samplePaths: string[];

/** The URL path a file of the site is served at (`customers/x/index.html` → `/customers/x/`). */
const urlPath = (file: string) => `/${file.replace(/(^|\/)index\.html$/, '$1')}`;
const mediaTypeOf = (path: string) => MEDIA_TYPES[path.endsWith('/') ? '.html' : extname(path)];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function filesUnder(dir: string, limit: number): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort()
    .slice(0, limit);
}

beforeAll(async () => {
  if (!WEB_SERVERS.some(isInstalled) && !inCi) return;
  if (process.env.QWOTY_E2E_SITE) {
    siteDir = resolve(process.env.QWOTY_E2E_SITE);
  } else {
    const fixture = await buildFixtureSite({ contacts: 60 });
    fixtureDir = fixture.dir;
    siteDir = fixture.siteDir;
  }
  root = await mkdtemp(join(tmpdir(), 'qwoty-served-'));
  samplePaths = [];
  for (const entry of await readdir(siteDir, { withFileTypes: true })) {
    if (entry.name !== 'downloads') await symlink(join(siteDir, entry.name), join(root, entry.name));
    if (entry.isFile()) samplePaths.push(urlPath(entry.name));
    else {
      const files = await filesUnder(join(siteDir, entry.name), 3);
      samplePaths.push(...files.map((file) => urlPath(`${entry.name}/${file}`)));
    }
  }
  await mkdir(join(root, 'downloads'));
  const built = await readdir(join(siteDir, 'downloads'));
  for (const name of built) await symlink(join(siteDir, 'downloads', name), join(root, 'downloads', name));
  for (const [name, text] of Object.entries(SAMPLES)) await writeFile(join(root, 'downloads', name), text);
  downloads = [...built, ...Object.keys(SAMPLES)];
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  if (fixtureDir) await rm(fixtureDir, { recursive: true, force: true });
});

async function groupId(name: string): Promise<number | undefined> {
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}

/** A GET with this Host header (fetch sets its own), its status and body. */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

function expectSecurityHeaders(response: Response, path: string) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    expect(response.headers.get(name), `${name} of ${path}`).toBe(value);
  }
}

function suiteFor(kind: WebServerKind) {
  return !isInstalled(kind) && !inCi ? describe.skip : describe;
}

function requireInstalled(kind: WebServerKind) {
  if (!isInstalled(kind)) {
    throw new Error(
      `No ${kind.binary}: CI must install ${kind.name} (see .ci/run) to test deploy/${kind.file}.`,
    );
  }
}

for (const kind of WEB_SERVERS) {
  suiteFor(kind)(`${kind.name} serving the built site through deploy/${kind.file}`, () => {
    let server: WebServer;
    const get = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);

    beforeAll(async () => {
      requireInstalled(kind);
      server = await kind.start({ root });
    });

    afterAll(async () => {
      await server?.stop();
    });

    test('sends the security headers and the Cache-Control of its kind on every kind of file the site has', async () => {
      expect(samplePaths).toEqual(
        expect.arrayContaining([
          '/',
          '/404.html',
          expect.stringMatching(/^\/customers\/[^/]+\/$/),
          expect.stringMatching(/^\/search\/.+\.json$/),
          expect.stringMatching(/^\/_astro\/.+\.js$/),
          expect.stringMatching(/^\/downloads\/.+\.csv$/),
        ]),
      );
      for (const path of samplePaths) {
        const response = await get(path);
        await response.arrayBuffer();
        expect(response.status, path).toBe(200);
        expectSecurityHeaders(response, path);
        expect(response.headers.get('cache-control'), `cache-control of ${path}`).toBe(cacheControlFor(path));
      }
    });

    test('serves pages, search data, scripts and styles with their media types', async () => {
      const typed = samplePaths.filter((path) => mediaTypeOf(path) && !path.startsWith('/downloads/'));
      expect(typed.length).toBeGreaterThan(8);
      for (const path of typed) {
        const response = await get(path);
        await response.arrayBuffer();
        expect(response.headers.get('content-type'), path).toBe(mediaTypeOf(path));
      }
    });

    test('serves every download, and a customer CSV, with its media type, privately, and byte for byte', async () => {
      const customerCsv = samplePaths.find((path) => /^\/customers\/[^/]+\/contacts\.csv$/.test(path));
      expect(customerCsv).toBeDefined();
      const paths = [...downloads.map((name) => `/downloads/${name}`), String(customerCsv)];
      for (const path of paths) {
        const response = await get(path);
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect(response.status, path).toBe(200);
        expect(response.headers.get('content-type'), path).toBe(mediaTypeOf(path));
        expect(response.headers.get('cache-control'), path).toBe('private, no-cache');
        expect(sha256(bytes), path).toBe(sha256(await readFile(join(root, path))));
      }
      expect(paths.map(extname)).toEqual(expect.arrayContaining(['.csv', '.xlsx', '.json', '.vcf', '.xml']));
    });

    test("answers a missing page with the site's 404 page and status, and every header", async () => {
      const response = await get('/customers/no-such-customer/');
      expect(response.status).toBe(404);
      expect(await response.text()).toBe(await readFile(join(root, '404.html'), 'utf8'));
      expect(response.headers.get('content-type')).toBe(MEDIA_TYPES['.html']);
      expectSecurityHeaders(response, '404');
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
    });

    test('redirects a page asked for without its trailing slash to the page, on the same host', async () => {
      const response = await get('/changes', { redirect: 'manual' });
      expect([301, 308]).toContain(response.status);
      expect(new URL(String(response.headers.get('location')), server.url).href).toBe(
        `${server.url}/changes/`,
      );
      expectSecurityHeaders(response, 'redirect');
    });

    test('listens on loopback only: another address of this machine refuses the connection', async () => {
      const port = new URL(server.url).port;
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address && !address.internal && address.family === 'IPv4');
      if (others.length === 0) console.warn('No non-loopback IPv4 address on this machine: nothing to try');
      for (const address of others) {
        // The Host header the shipped file answers to: only where it listens may decide.
        await expect(
          fetch(`http://${address?.address}:${port}/`, { headers: { host: `127.0.0.1:${port}` } }),
          String(address?.address),
        ).rejects.toThrow();
      }
    });

    test('lists no folder', async () => {
      for (const path of ['/customers/', '/downloads/', '/search/']) {
        const response = await get(path);
        const body = await response.text();
        expect(response.status, path).not.toBe(200);
        expect(body, path).not.toMatch(/contacts\.(csv|json|xlsx|[0-9a-f]{12}\.txt)|header\.[0-9a-f]{12}/);
      }
    });
  });

  if (kind === NGINX) {
    suiteFor(kind)("nginx next to Debian's default site on the same port", () => {
      let server: WebServer;

      beforeAll(async () => {
        requireInstalled(kind);
        server = await kind.start({ root, besideDefaultSite: true });
      });

      afterAll(async () => {
        await server?.stop();
      });

      test('serves the directory to its server_name, and the default site to any other name', async () => {
        const name = server.config.match(/^\s*server_name\s+([^\s;]+);$/m)?.[1];
        expect(name).toBeTruthy();
        expect(name).not.toBe('_');
        const home = await getWithHost(`${server.url}/`, String(name));
        expect(home.status).toBe(200);
        expect(home.body).toBe(await readFile(join(root, 'index.html'), 'utf8'));
        const other = await getWithHost(`${server.url}/`, '127.0.0.1');
        expect(other.body).toContain(DEBIAN_WELCOME);
      });
    });
  }

  if (kind === NGINX) {
    const asRoot = userInfo().uid === 0;
    if (!asRoot && !inCi)
      console.warn('Skipping the htpasswd mode test: it runs nginx as www-data, as root.');
    (asRoot || inCi ? suiteFor(kind) : describe.skip)('nginx as www-data with a basic-auth user file', () => {
      let readable: string;
      const user = 'reader';
      const password = `pw-${Math.random().toString(36).slice(2)}`;
      const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

      beforeAll(async () => {
        requireInstalled(kind);
        readable = await mkdtemp(join(tmpdir(), 'qwoty-readable-'));
        await chmod(readable, 0o755);
        await writeFile(join(readable, 'index.html'), '<!doctype html><title>ok</title>\n', { mode: 0o644 });
      });

      afterAll(async () => {
        if (readable) await rm(readable, { recursive: true, force: true });
      });

      test.each([
        ['root:www-data, mode 640, as the file documents', 0o640, true, 200],
        ['root:root, mode 600 (made under umask 077)', 0o600, false, 500],
      ])('with the user file %s, the right password gets %d', async (_what, mode, webGroup, status) => {
        const gid = webGroup ? await groupId('www-data') : 0;
        if (gid === undefined) throw new Error('No www-data group');
        const server = await kind.start({
          root: readable,
          basicAuth: { user, password },
          workerUser: 'www-data',
          userFileAccess: { mode, gid },
        });
        try {
          const response = await fetch(`${server.url}/`, { headers: { authorization } });
          await response.arrayBuffer();
          expect(response.status).toBe(status);
        } finally {
          await server.stop();
        }
      });
    });
  }

  suiteFor(kind)(`${kind.name} with the basic auth that deploy/${kind.file} documents switched on`, () => {
    let server: WebServer;
    const user = 'reader';
    const password = `pw-${Math.random().toString(36).slice(2)}`;

    beforeAll(async () => {
      requireInstalled(kind);
      server = await kind.start({ root, basicAuth: { user, password } });
    });

    afterAll(async () => {
      await server?.stop();
    });

    test('refuses a request without the password, still with every header, and serves the right one', async () => {
      const refused = await fetch(`${server.url}/downloads/contacts.csv`);
      const body = await refused.text();
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /);
      expectSecurityHeaders(refused, '401');
      expect(body).not.toContain('@');

      const wrong = await fetch(`${server.url}/`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:nope`).toString('base64')}` },
      });
      await wrong.arrayBuffer();
      expect(wrong.status).toBe(401);

      const allowed = await fetch(`${server.url}/downloads/contacts.csv`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      });
      const bytes = new Uint8Array(await allowed.arrayBuffer());
      expect(allowed.status).toBe(200);
      expect(sha256(bytes)).toBe(sha256(await readFile(join(root, 'downloads/contacts.csv'))));
    });
  });
}
