import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/consts.ts';
import { contactsToCsv } from '../../src/lib/exporters/csv.ts';
import { buildFixtureSite, type FixtureSite, runBuild } from './build-fixture-site.ts';
import { makeSnapshot, writePublishedSnapshot } from './fixture.ts';

let site: FixtureSite;
let files: string[];

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

const read = (path: string) => readFile(join(site.siteDir, path), 'utf8');

beforeAll(async () => {
  site = await buildFixtureSite({ contacts: 60 });
  files = await walk(site.siteDir);
});

afterAll(async () => {
  if (site) await rm(site.dir, { recursive: true, force: true });
});

describe('the built site', () => {
  test('has a page and a CSV per customer, the letter pages, the downloads and the search files', () => {
    for (const customer of site.snapshot.customers) {
      expect(files).toContain(`customers/${customer.id}/index.html`);
      expect(files).toContain(`customers/${customer.id}/contacts.csv`);
    }
    expect(files).toEqual(
      expect.arrayContaining([
        'index.html',
        '404.html',
        'robots.txt',
        '_headers',
        'directory/other/index.html',
        'downloads/contacts.csv',
        'downloads/contacts.xlsx',
        'downloads/contacts.json',
      ]),
    );
    expect(files.filter((file) => file.startsWith('search/')).sort()).toEqual([
      expect.stringMatching(/^search\/contacts\.[0-9a-f]{12}\.txt$/),
      expect.stringMatching(/^search\/header\.[0-9a-f]{12}\.json$/),
      expect.stringMatching(/^search\/ids-0\.[0-9a-f]{12}\.txt$/),
    ]);
  });

  test('never publishes rejects.json or the manifest', () => {
    expect(files.filter((file) => /rejects|manifest/.test(file))).toEqual([]);
  });

  test('copies the snapshot files byte for byte', async () => {
    for (const name of ['contacts.csv', 'contacts.xlsx', 'contacts.json']) {
      const built = await readFile(join(site.siteDir, 'downloads', name));
      const source = await readFile(join(site.dataDir, name));
      expect(createHash('sha256').update(built).digest('hex')).toBe(
        createHash('sha256').update(source).digest('hex'),
      );
    }
  });

  test("writes each customer's CSV with the exporters' CSV writer", async () => {
    const customer = site.snapshot.customers[3];
    if (!customer) throw new Error('fixture has no customer 3');
    const contacts = site.snapshot.contacts.filter((contact) => contact.customer_id === customer.id);
    const csv = await read(`customers/${customer.id}/contacts.csv`);
    expect(csv.split('\r\n').length - 2).toBe(contacts.length);
    expect(csv).toBe(
      contactsToCsv([...contacts].sort((a, b) => (a.last_name ?? '').localeCompare(b.last_name ?? ''))),
    );
  });

  test('repeats the CSP, with frame-ancestors, in _headers for hosts that honour it', async () => {
    expect(await read('_headers')).toContain(
      `Content-Security-Policy: ${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
    );
  });

  test('tells robots to stay out', async () => {
    expect(await read('robots.txt')).toMatch(/User-agent: \*\s+Disallow: \/\s*$/);
  });

  test('puts the CSP and noindex on every page and no inline script, style or external URL', async () => {
    const pages = files.filter((file) => file.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(10);
    for (const page of pages) {
      const html = await read(page);
      expect(html, page).toContain(
        `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
      );
      expect(html, page).toContain('<meta name="robots" content="noindex, nofollow">');
      expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g), page).toBeNull();
      expect(html.match(/<style[\s>]|\sstyle=/g), page).toBeNull();
      expect(html.match(/(?:src|href|action)="(?:https?:)?\/\//g), page).toBeNull();
    }
  });

  test('shows hostile names as text', async () => {
    const [hostile] = site.snapshot.contacts;
    if (!hostile) throw new Error('fixture is empty');
    const html = await read(`customers/${hostile.customer_id}/index.html`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    const home = await read('index.html');
    expect(home).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Quoted&quot; Ltd');
  });
});

describe('the home page', () => {
  test('says when the snapshot was taken, that it is demo data, and counts', async () => {
    const html = await read('index.html');
    expect(html).toContain('datetime="2026-01-15T03:00:00.000Z"');
    expect(html).toContain('Demo data.');
    expect(html).toContain('60 contacts');
    expect(html).toContain(`${site.snapshot.customers.length} customers`);
  });

  test('has a labelled search box, filters and the links to the search data, not the contacts', async () => {
    const html = await read('index.html');
    expect(html).toMatch(/<label for="q">[^<]+<\/label>/);
    expect(html).toMatch(/<input id="q" type="search" name="q"/);
    expect(html).toMatch(/<select id="role" name="role">/);
    expect(html).toMatch(/data-contacts="\/search\/contacts\.[0-9a-f]{12}\.txt"/);
    for (const contact of site.snapshot.contacts.slice(5, 10)) {
      if (contact.email) expect(html).not.toContain(contact.email);
    }
  });

  test('lists every customer with its contact count, by letter, and links the downloads', async () => {
    const html = await read('index.html');
    for (const customer of site.snapshot.customers) {
      expect(html).toContain(`href="/customers/${customer.id}/"`);
    }
    expect(html).toContain('href="#letter-other"');
    expect(html).toMatch(/\d+ contacts/);
    for (const name of ['contacts.csv', 'contacts.xlsx', 'contacts.json']) {
      expect(html).toContain(`href="/downloads/${name}"`);
    }
  });
});

describe('a customer page', () => {
  test('shows the customer, its addresses and a captioned table of its contacts with anchors and links', async () => {
    const customer = site.snapshot.customers[1];
    if (!customer) throw new Error('fixture has no customer 1');
    const html = await read(`customers/${customer.id}/index.html`);
    expect(html).toContain('<h1 dir="auto">Société Générale Ñúñez</h1>');
    expect(html).toContain('<caption id="contacts-caption">Contacts of Société Générale Ñúñez</caption>');
    expect(html).toContain('<th scope="col">Email</th>');
    expect(html).toContain(customer.addresses[0]?.summary ?? 'missing');
    for (const contact of site.snapshot.contacts.filter((item) => item.customer_id === customer.id)) {
      expect(html).toContain(`id="contact-${contact.id}"`);
      if (contact.email) expect(html).toContain(`href="mailto:${contact.email}"`);
      if (contact.phone) expect(html).toContain(`href="tel:${contact.phone.replace(/[^\d+]/g, '')}"`);
    }
    expect(html).toContain(`href="/customers/${customer.id}/contacts.csv"`);
  });

  test('shows the id when the customer name could not be read', async () => {
    const unnamed = site.snapshot.customers.find((customer) => customer.name === null);
    if (!unnamed) throw new Error('fixture has no unnamed customer');
    const html = await read(`customers/${unnamed.id}/index.html`);
    expect(html).toContain(`Customer ${unnamed.id}`);
    expect(html).toContain('could not be read');
  });
});

describe('npm run build', () => {
  const failing = async (prepare: (dataDir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'qwoty-fail-'));
    const dataDir = join(dir, 'data');
    await prepare(dataDir);
    const result = await runBuild(dataDir, join(dir, 'dist'));
    await rm(dir, { recursive: true, force: true });
    return result;
  };

  test('fails with exit code 6 and one sentence when there is no snapshot', async () => {
    const result = await failing(async () => undefined);
    expect(result.code).toBe(6);
    expect(result.stderr.trim()).toMatch(
      /^npm run build: There is no snapshot in .*; run `npm run fetch`.*first\.$/,
    );
  });

  test('fails when the snapshot is empty', async () => {
    const result = await failing(async (dataDir) => {
      await writePublishedSnapshot(dataDir, { ...makeSnapshot({ contacts: 1 }), contacts: [] });
    });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/holds no contacts/);
  });

  test('fails when a file does not match the manifest', async () => {
    const result = await failing(async (dataDir) => {
      const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 3 }));
      await writeFile(join(dir, 'contacts.xlsx'), 'tampered');
    });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/contacts\.xlsx has 8 bytes but manifest\.json says \d+/);
  });
});
