import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTENT_SECURITY_POLICY, QUALITY_ROW_LIMIT, REPORT_ROW_LIMIT } from '../../src/consts.ts';
import { contactsToCsv } from '../../src/pipeline/exporters/csv.ts';
import { qualityCounts } from '../../src/pipeline/reports/quality.ts';
import {
  type ChangesReport,
  ChangesReportSchema,
  type QualityReport,
  QualityReportSchema,
} from '../../src/shared/schema/reports.ts';
import { vcardOf } from '../../src/site/build/vcards.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import { formatVcards, type VcardContact } from '../../src/site/shared/vcard.ts';
import { buildFixtureSite, type FixtureSite, runBuild } from '../../src/testing/build-fixture-site.ts';
import {
  addedCustomer,
  changedContacts,
  fixtureCustomer,
  HOSTILE_REMOVED_NAME,
  makeHistory,
  makePreviousSnapshot,
  makeRejects,
  makeSnapshot,
  markupContact,
  RAW_REJECT_VALUE,
  STALE_CUSTOMER_READ_AT,
  UNLINKABLE_EMAILS,
  writePublishedSnapshot,
} from '../../src/testing/site-fixture.ts';

const ENTITIES: Record<string, string> = {
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};

let site: FixtureSite;
let files: string[];
let changes: ChangesReport;
let quality: QualityReport;

/** More removed contacts and rejects than a table shows, so the caps and their "N more" show. */
const REMOVED = REPORT_ROW_LIMIT + 20;
const REJECTED = REPORT_ROW_LIMIT + 5;
const REPORT_FILES = ['changes.csv', 'changes.json', 'quality.csv', 'quality.json'];

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

const read = (path: string) => readFile(join(site.siteDir, path), 'utf8');

beforeAll(async () => {
  site = await buildFixtureSite({
    contacts: 60,
    publish: (snapshot) => ({
      previous: makePreviousSnapshot(snapshot, { removed: REMOVED }),
      rejects: makeRejects(REJECTED),
      history: makeHistory(snapshot, 3),
    }),
  });
  files = await walk(site.siteDir);
  changes = ChangesReportSchema.parse(JSON.parse(await readFile(join(site.dataDir, 'changes.json'), 'utf8')));
  quality = QualityReportSchema.parse(JSON.parse(await readFile(join(site.dataDir, 'quality.json'), 'utf8')));
});

afterAll(async () => {
  if (site) await rm(site.dir, { recursive: true, force: true });
});

describe('the built site', () => {
  test('has a page, a CSV and vCards per customer, the letter pages, the downloads and the search files', () => {
    for (const customer of site.snapshot.customers) {
      expect(files).toContain(`customers/${customer.id}/index.html`);
      expect(files).toContain(`customers/${customer.id}/contacts.csv`);
      expect(files).toContain(`customers/${customer.id}/contacts.vcf`);
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
        'changes/index.html',
        'changes/feed.xml',
        'quality/index.html',
        ...REPORT_FILES.map((name) => `downloads/${name}`),
      ]),
    );
    expect(files.filter((file) => file.startsWith('search/')).sort()).toEqual([
      expect.stringMatching(/^search\/contacts\.[0-9a-f]{12}\.txt$/),
      expect.stringMatching(/^search\/header\.[0-9a-f]{12}\.json$/),
      expect.stringMatching(/^search\/ids-0\.[0-9a-f]{12}\.txt$/),
    ]);
    expect(files.filter((file) => file.startsWith('export/')).sort()).toEqual([
      expect.stringMatching(/^export\/index\.[0-9a-f]{12}\.json$/),
      expect.stringMatching(/^export\/rows-0\.[0-9a-f]{12}\.json$/),
    ]);
  });

  test('never publishes rejects.json, the manifest, or a value only the raw rejects hold', async () => {
    expect(files.filter((file) => /rejects|manifest/.test(file))).toEqual([]);
    for (const file of files.filter((name) => /\.(html|json|csv|txt|vcf)$/.test(name))) {
      expect(await read(file), file).not.toContain(RAW_REJECT_VALUE);
    }
  });

  test('copies the snapshot files and reports byte for byte', async () => {
    for (const name of ['contacts.csv', 'contacts.xlsx', 'contacts.json', ...REPORT_FILES]) {
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

  test("writes each customer's vCards with the site's vCard writer, in the order of its page", async () => {
    const customer = site.snapshot.customers[3];
    if (!customer) throw new Error('fixture has no customer 3');
    const contacts = site.snapshot.contacts.filter((contact) => contact.customer_id === customer.id);
    const vcf = await read(`customers/${customer.id}/contacts.vcf`);
    expect(vcf.match(/^BEGIN:VCARD\r$/gm)).toHaveLength(contacts.length);
    expect(vcf).toBe(
      formatVcards(
        [...contacts]
          .sort((a, b) => (a.last_name ?? '').localeCompare(b.last_name ?? ''))
          .map((contact) => vcardOf(contact, customer.name)),
      ),
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

  test('announces the change feed on every page', async () => {
    for (const page of files.filter((file) => file.endsWith('.html'))) {
      expect(await read(page), page).toMatch(
        /<link rel="alternate" type="application\/atom\+xml" href="\/changes\/feed\.xml" title="[^"]+">/,
      );
    }
  });

  test('publishes the nights as an Atom feed that a feed parser reads, one entry per night', async () => {
    const xml = await read('changes/feed.xml');
    expect(XMLValidator.validate(xml)).toBe(true);
    const feed = parseFeed(xml);
    expect(feed.meta).toEqual({ type: 'atom', version: '1.0' });
    expect(feed.items.map((item) => item.url)).toEqual([
      '/changes/#night-20260115T030000000Z',
      '/changes/#night-20260114T030000000Z',
      '/changes/#night-20260113T030000000Z',
      '/changes/#night-20260112T030000000Z',
    ]);
  });

  test('shows hostile names as text', async () => {
    const hostile = markupContact(site.snapshot);
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
    expect(html).toMatch(/data-export="\/export\/index\.[0-9a-f]{12}\.json"/);
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
    for (const name of ['contacts.csv', 'contacts.xlsx', 'contacts.json', ...REPORT_FILES]) {
      expect(html).toContain(`href="/downloads/${name}"`);
    }
  });

  test('links the reports with their counts, and marks itself current in the site navigation', async () => {
    const html = await read('index.html');
    const { added, removed, changed } = changes.totals;
    expect(html).toMatch(
      new RegExp(
        `<a href="/changes/">What changed</a>: ${added} contacts added, ${removed} removed, ${changed} changed since\\s*<time datetime="2026-01-14T03:00:00.000Z">`,
      ),
    );
    expect(html).toContain(`<a href="/quality/">Data quality</a>: ${qualityCounts(quality).total} findings`);
    expect(html).toMatch(/<nav class="site-nav" aria-label="Site">.*<a href="\/" aria-current="page">/);
    expect(html).not.toMatch(/<a href="\/(changes|quality)\/" aria-current/);
  });
});

describe('a customer page', () => {
  test('shows the customer, its addresses and a captioned table of its contacts with anchors and links', async () => {
    const customer = fixtureCustomer(site.snapshot, 'accented');
    const html = await read(`customers/${customer.id}/index.html`);
    expect(html).toContain('<h1 dir="auto">Société Générale Ñúñez</h1>');
    expect(html).toContain('<caption id="contacts-caption">Contacts of Société Générale Ñúñez</caption>');
    expect(html).toContain('<th scope="col">Email</th>');
    expect(html).toContain(customer.addresses[0]?.summary ?? 'missing');
    for (const contact of site.snapshot.contacts.filter((item) => item.customer_id === customer.id)) {
      expect(html).toContain(`id="contact-${contact.id}"`);
      if (contact.email && PLAIN_EMAIL.test(contact.email)) {
        expect(html).toContain(`href="mailto:${contact.email}"`);
      }
      // RFC 3966, from the number read at publish; a number that could not be read has no link.
      if (contact.phone_parsed) expect(html).toContain(`href="${contact.phone_parsed.uri}"`);
      else if (contact.phone) expect(html).toContain(`<span class="phone">${contact.phone}</span>`);
    }
    expect(html).toContain(`href="/customers/${customer.id}/contacts.csv"`);
    expect(html).toContain(`href="/customers/${customer.id}/contacts.vcf"`);
  });

  test("gives each contact a link to the customer's vCards, carrying the contact's own card", async () => {
    const customer = fixtureCustomer(site.snapshot, 'markup');
    const html = await read(`customers/${customer.id}/index.html`);
    const contacts = site.snapshot.contacts.filter((contact) => contact.customer_id === customer.id);
    const links = [...html.matchAll(/<a class="save-contact" href="([^"]+)"[^>]*data-card="([^"]*)"/g)];
    expect(links).toHaveLength(contacts.length);
    const decodeEntities = (text: string) =>
      text.replace(/&quot;|&#39;|&lt;|&gt;|&amp;/g, (entity) => ENTITIES[entity] ?? entity);
    for (const [, href, card] of links) {
      expect(href).toBe(`/customers/${customer.id}/contacts.vcf`);
      const parsed: VcardContact = JSON.parse(decodeEntities(card ?? ''));
      const contact = contacts.find((item) => item.id === parsed.uid);
      expect(contact).toBeDefined();
      if (contact) expect(parsed).toEqual(vcardOf(contact, customer.name));
    }
  });

  test('links an email only when the address can add no recipient, header or body, and shows the others as text', async () => {
    for (const email of UNLINKABLE_EMAILS) {
      expect(site.snapshot.contacts.map((contact) => contact.email)).toContain(email);
    }
    const hrefs: string[] = [];
    for (const page of files.filter((name) => name.endsWith('.html'))) {
      for (const [, href = ''] of (await read(page)).matchAll(/href="mailto:([^"]*)"/g)) hrefs.push(href);
    }
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).not.toMatch(/[?&%,;#\s]/);

    const pages = new Map<string, string>();
    for (const contact of site.snapshot.contacts) {
      if (!contact.email) continue;
      const page =
        pages.get(contact.customer_id) ?? (await read(`customers/${contact.customer_id}/index.html`));
      pages.set(contact.customer_id, page);
      const start = page.indexOf(`id="contact-${contact.id}"`);
      const row = page.slice(start, page.indexOf('</tr>', start));
      if (PLAIN_EMAIL.test(contact.email)) {
        expect(row).toContain(`<a href="mailto:${contact.email}">${contact.email}</a>`);
      } else {
        expect(row, contact.email).not.toContain('mailto:');
        expect(row).toContain(escapeHtml(contact.email));
      }
    }
  });

  test('shows the id when the customer name could not be read', async () => {
    const unnamed = site.snapshot.customers.find((customer) => customer.name === null);
    if (!unnamed) throw new Error('fixture has no unnamed customer');
    const html = await read(`customers/${unnamed.id}/index.html`);
    expect(html).toContain(`Customer ${unnamed.id}`);
    expect(html).toContain('could not be read');
  });

  test('says when its details were read from Qwoty when that was before the night of the snapshot', async () => {
    const stale = site.snapshot.customers.find((customer) => customer.fetched_at === STALE_CUSTOMER_READ_AT);
    if (!stale) throw new Error('fixture has no stale customer');
    const html = await read(`customers/${stale.id}/index.html`);
    expect(html).toMatch(
      /<dt>Details read from Qwoty<\/dt>\s*<dd>\s*<time datetime="2026-01-05T03:00:00.000Z">5 January 2026 at 03:00 UTC<\/time>/,
    );
    expect(html).toMatch(/were read from Qwoty on\s*<time datetime="2026-01-05T03:00:00.000Z">/);
  });

  test('says nothing of when details were read when that was on the night of the snapshot', async () => {
    const fresh = site.snapshot.customers.filter(
      (customer) => customer.fetched_at && customer.fetched_at !== STALE_CUSTOMER_READ_AT,
    );
    expect(fresh.length).toBeGreaterThan(2);
    for (const customer of fresh) {
      const html = await read(`customers/${customer.id}/index.html`);
      expect(html).not.toContain('read from Qwoty');
      expect(html).not.toContain(customer.fetched_at ?? 'missing');
    }
  });
});

/** An address that is one recipient and nothing else: letters, digits, `.`, `_`, `+`, `-`, an `@`, a dotted domain. */
const PLAIN_EMAIL = /^[\p{L}\p{N}._+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+$/u;

/** Text as the pages write it. */
function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The HTML of the section labelled by `headingId`. */
function section(html: string, headingId: string): string {
  const start = html.indexOf(`<section aria-labelledby="${headingId}"`);
  if (start < 0) throw new Error(`no section ${headingId}`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The rows of the section's table body. */
function bodyRows(html: string): string[] {
  return (
    html
      .split('<tbody>')[1]
      ?.split('</tbody>')[0]
      ?.match(/<tr>.*?<\/tr>/g) ?? []
  );
}

const contactHref = (id: string, customerId: string) => `href="/customers/${customerId}/#contact-${id}"`;

describe('the change page', () => {
  test('lists the nights of the history, newest first, each with its anchor, counts and customers', async () => {
    const html = await read('changes/index.html');
    expect(html).toContain('<h1>What changed</h1>');
    const nights = section(html, 'nights-heading');
    const rows = nights.match(/<tr id="night-[^"]+">.*?<\/tr>/g) ?? [];
    expect(rows.map((row) => row.match(/<time datetime="([^"]+)"/)?.[1])).toEqual([
      '2026-01-15T03:00:00.000Z',
      '2026-01-14T03:00:00.000Z',
      '2026-01-13T03:00:00.000Z',
      '2026-01-12T03:00:00.000Z',
    ]);
    expect(rows[0]).toContain('id="night-20260115T030000000Z"');
    expect(rows[0]).toMatch(
      new RegExp(
        `<td>${changes.totals.added}</td>\\s*<td>${REMOVED}</td>\\s*<td>${changes.totals.changed}</td>`,
      ),
    );
    expect(rows[0]).toContain('Gone &lt;i&gt;Away&lt;/i&gt; GmbH (customer removed)');
    expect(rows[1]).toContain('Evil ]]&gt; &lt;script&gt;alert(&quot;feed&quot;)&lt;/script&gt; &amp; Co');
    expect(rows[3]).toContain('first snapshot: 60 contacts and 8 customers');
    expect(html).toContain('<a href="/changes/feed.xml" type="application/atom+xml">the Atom feed</a>');
    expect(html).not.toContain('<script>alert');
  });

  test('says since when the latest night counts, totals its changes and marks itself current', async () => {
    const html = await read('changes/index.html');
    expect(section(html, 'latest-heading')).toMatch(
      /<strong>\s*Since <time datetime="2026-01-14T03:00:00.000Z">14 January 2026 at 03:00 UTC<\/time>\s*<\/strong>/,
    );
    const { added, changed, customers_added, customers_removed } = changes.totals;
    for (const total of [
      `${added} contacts added`,
      `${REMOVED} contacts removed`,
      `${changed} contacts changed`,
      `${customers_added} customer added`,
      `${customers_removed} customer removed`,
    ]) {
      expect(html).toContain(total);
    }
    expect(html).toMatch(/<a href="\/changes\/" aria-current="page">/);
    expect(html).toContain('href="/downloads/changes.csv"');
    expect(html).toContain('href="/downloads/changes.json"');
  });

  test('lists added and changed contacts linked to their rows, with the changed fields in words', async () => {
    const html = await read('changes/index.html');
    const addedRows = bodyRows(section(html, 'added-heading'));
    expect(addedRows).toHaveLength(changes.totals.added);
    for (const ref of changes.contacts.added) {
      expect(section(html, 'added-heading')).toContain(contactHref(ref.id, ref.customer_id));
    }
    const changedRows = bodyRows(section(html, 'changed-heading'));
    // Each changed field with its old and new value, in words.
    const lines = (row: string) =>
      [...(row.match(/<ul class="lines">(.*?)<\/ul>/s)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map(
        (match) => match[1]?.replace(/&quot;|&#39;|&lt;|&gt;|&amp;/g, (entity) => ENTITIES[entity] ?? entity),
      );
    const [hostile, second, third] = changedContacts(site.snapshot).changed;
    expect(lines(changedRows[0] ?? '')).toEqual([
      `email: old.xss@example.com → ${hostile?.email}`,
      `phone: +33 6 00 00 00 00 → ${hostile?.phone}`,
    ]);
    expect(lines(changedRows[1] ?? '')).toEqual([
      `addresses: (empty) → ${second?.addresses.map((address) => address.summary).join(' | ')}`,
      `roles: legal → ${second?.role.map((role) => createText('en', MESSAGES.en).value('role', role)).join(', ')}`,
    ]);
    expect(lines(changedRows[2] ?? '')).toEqual([`first name: Mohammed → ${third?.first_name}`]);
    const csv = await readFile(join(site.dataDir, 'changes.csv'), 'utf8');
    expect(csv).toContain(`"email: old.xss@example.com → ${hostile?.email}; phone: +33 6 00 00 00 00 → `);
    expect(changedRows[0]).toContain(contactHref(hostile?.id ?? '', hostile?.customer_id ?? ''));
    expect(changedRows[0]).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(changedRows[0]).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Quoted&quot; Ltd');
    expect(html).not.toContain('<script>alert');
  });

  test('shows at most the cap of removed contacts, as text, and how many more with the CSV', async () => {
    const removed = section(await read('changes/index.html'), 'removed-heading');
    const rows = bodyRows(removed);
    expect(rows).toHaveLength(REPORT_ROW_LIMIT);
    expect(removed).toContain(
      `<caption class="visually-hidden">Contacts removed: ${REMOVED} (the first ${REPORT_ROW_LIMIT})</caption>`,
    );
    expect(removed).toMatch(
      /And 20 more: <a href="\/downloads\/changes\.csv" download="changes\.csv"[^>]*>download changes\.csv<\/a>, which lists them all\./,
    );
    expect(removed).toContain('<th scope="col">Contact</th>');
    expect(rows[0]).toContain(
      '<th scope="row"> <bdi>&lt;script&gt;alert(&quot;removed&quot;)&lt;/script&gt; Leaver</bdi>',
    );
    expect(removed).not.toContain(HOSTILE_REMOVED_NAME);
    expect(removed).not.toContain('#contact-');
    const kept = fixtureCustomer(site.snapshot, 'accented');
    expect(rows[0]).toContain(`href="/customers/${kept?.id}/"`);
    expect(rows[1]).toContain('Gone &lt;i&gt;Away&lt;/i&gt; GmbH');
    expect(rows[1]).not.toContain('href=');
  });

  test('lists customers added with a link and customers removed as text', async () => {
    const html = await read('changes/index.html');
    const last = addedCustomer(site.snapshot);
    expect(section(html, 'customers-added-heading')).toContain(`href="/customers/${last?.id}/"`);
    const removed = section(html, 'customers-removed-heading');
    expect(removed).toContain('Gone &lt;i&gt;Away&lt;/i&gt; GmbH');
    expect(removed).not.toContain('href=');
  });
});

describe('the quality page', () => {
  test('counts and explains every kind of finding, and marks itself current', async () => {
    const html = await read('quality/index.html');
    expect(html).toContain('<caption>Findings by kind</caption>');
    for (const [kind, title] of [
      ['missing_email', 'Missing email'],
      ['missing_phone', 'Missing phone'],
      ['missing_email_and_phone', 'Missing email and phone'],
      ['malformed_email', 'Malformed email'],
      ['malformed_phone', 'Malformed phone'],
      ['duplicate_email', 'Shared email'],
      ['unnamed_customer', 'Customer without a name'],
      ['stale_customer', 'Customer details not refreshed'],
    ] as const) {
      const total = quality.totals[kind];
      expect(total, kind).toBeGreaterThan(0);
      const slug = kind.replaceAll('_', '-');
      expect(html).toContain(`<a href="#${slug}">${title}</a>`);
      const part = section(html, `${slug}-heading`);
      expect(part).toContain(`${title}: ${total}`);
      expect(part).toContain('What to do:');
      // Folded, the first few listed: the page reads in one screen.
      expect(part).toMatch(/<details>\s*<summary>/);
      expect(bodyRows(part)).toHaveLength(Math.min(total, QUALITY_ROW_LIMIT));
    }
    expect(html).toMatch(/<a href="\/quality\/" aria-current="page">/);
    expect(html).toContain('href="/downloads/quality.csv"');
  });

  test('counts the same findings on the home page, in the summary table, its total and quality.csv', async () => {
    const html = await read('quality/index.html');
    const table = html.slice(html.indexOf('<table class="report summary"'), html.indexOf('</table>'));
    const cells = [...table.matchAll(/<td>([\d,]+)<\/td>/g)].map((match) =>
      Number(match[1]?.replace(/,/g, '')),
    );
    const total = cells.at(-1) ?? -1;
    // One row per kind (rejected records and normalised fields included), then the total.
    expect(cells.slice(0, -1).reduce((sum, count) => sum + count, 0)).toBe(total);
    const csv = await readFile(join(site.dataDir, 'quality.csv'), 'utf8');
    expect(csv.trimEnd().split('\r\n')).toHaveLength(total + 1);
    expect(total).toBe(qualityCounts(quality).total);
    expect(await read('index.html')).toContain(`Data quality</a>: ${total.toLocaleString('en')} findings`);
  });

  test('counts the customers that kept the details of an earlier night, and names the oldest', async () => {
    const stale = site.snapshot.customers.filter(
      (customer) => customer.fetched_at === STALE_CUSTOMER_READ_AT,
    );
    expect(quality.freshness).toMatchObject({
      reused: stale.length,
      oldest: { fetched_at: STALE_CUSTOMER_READ_AT },
    });
    const html = await read('quality/index.html');
    const notice = html.slice(
      html.indexOf('id="reused-customers"'),
      html.indexOf('</p>', html.indexOf('id="reused-customers"')),
    );
    expect(notice).toContain(`${stale.length} customer${stale.length === 1 ? '' : 's'} kept the details`);
    expect(notice).toContain(`href="/customers/${quality.freshness?.oldest?.id}/"`);
    expect(notice).toContain('<time datetime="2026-01-05T03:00:00.000Z">5 January 2026 at 03:00 UTC</time>');
  });

  test('shows a hostile name and value of a finding as text, linked to the contact', async () => {
    const part = section(await read('quality/index.html'), 'malformed-phone-heading');
    const hostile = markupContact(site.snapshot);
    expect(part).toContain(contactHref(hostile?.id ?? '', hostile?.customer_id ?? ''));
    expect(part).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(part).toContain('+33 &lt;script&gt;alert(3)&lt;/script&gt;');
    expect(part).toContain('<th scope="col">Phone as recorded</th>');
    expect(part).not.toContain('<script>');
  });

  test('lists the rejected records with their reasons, capped, without their raw values', async () => {
    const part = section(await read('quality/index.html'), 'rejected-heading');
    const rows = bodyRows(part);
    expect(rows).toHaveLength(QUALITY_ROW_LIMIT);
    expect(rows[0]).toContain('&lt;img src=x onerror=alert(4)&gt;');
    expect(rows[0]).toContain('<li>first_name: Invalid input: expected string, received number</li>');
    expect(rows[0]).toMatch(/<td>\s*<bdi>40<\/bdi>\s*<\/td>/);
    expect(rows[1]).toContain('no readable id');
    expect(rows[2]).toContain('fetched by id');
    expect(part).toMatch(
      new RegExp(`And ${REJECTED - QUALITY_ROW_LIMIT} more: <a href="/downloads/quality\\.csv"`),
    );
    expect(part).not.toContain('<img');
    expect(part).not.toContain(RAW_REJECT_VALUE);
  });
});

describe('the report pages of other snapshots', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const build = async (reports: boolean) => {
    dir ??= await mkdtemp(join(tmpdir(), 'qwoty-reports-'));
    const built = await buildFixtureSite({
      contacts: 9,
      dir: join(dir, String(reports)),
      publish: () => ({ reports, xlsx: false }),
    });
    const page = (path: string) => readFile(join(built.siteDir, path), 'utf8');
    return {
      home: await page('index.html'),
      changes: await page('changes/index.html'),
      quality: await page('quality/index.html'),
      files: await walk(built.siteDir),
    };
  };

  test('say "first snapshot" on a first run, with one night and no contact listed', async () => {
    const { home, changes: html } = await build(true);
    expect(html).toContain('First snapshot: nothing to compare with yet.');
    expect(html).toContain('first snapshot: 9 contacts and 2 customers');
    expect(html.match(/<table/g)).toHaveLength(1);
    expect(home).toContain(
      '<a href="/changes/">What changed</a>: first snapshot, nothing to compare with yet',
    );
  });

  test('say the reports are missing when the snapshot has none, and publish none', async () => {
    const { home, changes: changesHtml, quality: qualityHtml, files: built } = await build(false);
    expect(changesHtml).toContain('This snapshot was published without a change report.');
    expect(changesHtml).not.toContain('<table');
    expect(qualityHtml).toContain('This snapshot was published without a quality report.');
    expect(home).not.toContain('aria-label="Reports"');
    expect(built.filter((file) => /^downloads\/(changes|quality)/.test(file))).toEqual([]);
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
      /^build failed: There is no snapshot in .*; run `npm run fetch`.*first\.$/,
    );
  });

  test('fails when the snapshot is empty', async () => {
    const result = await failing(async (dataDir) => {
      await writePublishedSnapshot(
        dataDir,
        { ...makeSnapshot({ contacts: 1 }), contacts: [] },
        { xlsx: false },
      );
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

describe('the site in French (QWOTY_SITE_LANG=fr)', () => {
  let dir: string;
  let french: FixtureSite;
  const page = (path: string) => readFile(join(french.siteDir, path), 'utf8');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qwoty-fr-'));
    french = await buildFixtureSite({
      contacts: 30,
      lang: 'fr',
      dir: join(dir, 'fr'),
      publish: (snapshot) => ({
        previous: makePreviousSnapshot(snapshot),
        history: makeHistory(snapshot, 2),
      }),
    });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('declares French on every page and writes dates and numbers the French way', async () => {
    const pages = (await walk(french.siteDir)).filter((file) => file.endsWith('.html'));
    for (const file of pages) expect(await page(file), file).toContain('<html lang="fr">');
    const home = await page('index.html');
    expect(home).toContain('<h1>Annuaire des contacts</h1>');
    // In Paris time by default, the zone named.
    expect(home).toContain(
      '<time datetime="2026-01-15T03:00:00.000Z">15 janvier 2026 à 04:00 (Europe/Paris)</time>',
    );
    expect(home).toContain('<a href="/changes/">Ce qui a changé</a>');
    expect(home).not.toContain('What changed');
  });

  test("words the quality page's reasons in French, and elides the captions' de", async () => {
    const quality = await page('quality/index.html');
    expect(quality).toContain('identifiant\u00a0: un UUID attendu');
    expect(quality).not.toContain('expected a UUID');
    const customer = french.snapshot.customers.find((item) => /^[AEIOUÉ]/.test(item.name ?? ''));
    if (customer) {
      const html = await page(`customers/${customer.id}/index.html`);
      expect(html).toContain(`Contacts d&#39;${customer.name}`);
    }
  });

  test('keeps the CSV files, their column headers included, as in English', async () => {
    const customer = french.snapshot.customers[2];
    const csv = await page(`customers/${customer?.id}/contacts.csv`);
    const contacts = french.snapshot.contacts.filter((contact) => contact.customer_id === customer?.id);
    expect(csv.split('\r\n')[0]).toBe(contactsToCsv([]).split('\r\n')[0]);
    expect(csv.split('\r\n')).toHaveLength(contacts.length + 2);
    expect(await readFile(join(french.siteDir, 'downloads/contacts.csv'))).toEqual(
      await readFile(join(french.dataDir, 'contacts.csv')),
    );
  });

  test('searches and shows roles by their French name too', async () => {
    const header = (await walk(join(french.siteDir, 'search'))).find((file) => file.startsWith('header.'));
    const parsed = JSON.parse(await page(`search/${header}`));
    expect(parsed.roleLabels[parsed.roles.indexOf('decision_maker')]).toBe('décideur');
  });

  test("words the roles of a customer's vCards in French, in its file and in its rows' cards alike", async () => {
    const customer = french.snapshot.customers.find((item) =>
      french.snapshot.contacts.some((contact) => contact.customer_id === item.id && contact.role.length > 0),
    );
    if (!customer) throw new Error('the French fixture has no contact with a role');
    const contacts = french.snapshot.contacts
      .filter((contact) => contact.customer_id === customer.id)
      .sort((a, b) => (a.last_name ?? '').localeCompare(b.last_name ?? ''));
    const words = createText('fr', MESSAGES.fr);
    const inFrench = (role: string) => words.value('role', role);
    const vcf = await page(`customers/${customer.id}/contacts.vcf`);
    expect(vcf).toBe(formatVcards(contacts.map((contact) => vcardOf(contact, customer.name, inFrench))));
    const titles = vcf.match(/^TITLE:.*$/gm) ?? [];
    expect(titles.length).toBe(contacts.filter((contact) => contact.role.length > 0).length);
    expect(titles.join(' ')).not.toMatch(/buyer|signer|billing|shipping|legal|admin\b|decision/);

    const html = await page(`customers/${customer.id}/index.html`);
    const cards = [...html.matchAll(/data-card="([^"]*)"/g)].map(
      ([, card]): VcardContact =>
        JSON.parse(
          (card ?? '').replace(/&quot;|&#39;|&lt;|&gt;|&amp;/g, (entity) => ENTITIES[entity] ?? entity),
        ),
    );
    expect(cards).toEqual(contacts.map((contact) => vcardOf(contact, customer.name, inFrench)));
  });

  test('writes the change feed in French', async () => {
    const feed = parseFeed(await page('changes/feed.xml'));
    expect(feed.language).toBe('fr');
    expect(feed.items).toHaveLength(3);
    expect(feed.items[0]?.title).toMatch(
      /^15 janvier 2026 à 04:00 \(Europe\/Paris\)\u00a0: \d+ contacts ajoutés/,
    );
  });

  test('renders pages copied from the cache again when the time zone or the site address changes', async () => {
    const siteDir = join(dir, 'fr-utc');
    const built = await runBuild(french.dataDir, siteDir, {
      cacheDir: `${french.siteDir}-cache`,
      reuse: true,
      env: {
        QWOTY_SITE_LANG: 'fr',
        QWOTY_SITE_TIME_ZONE: 'UTC',
        QWOTY_SITE_URL: 'https://contacts.example.com/annuaire',
      },
    });
    expect(built.code, built.stderr).toBe(0);
    const customer = french.snapshot.customers[0];
    const html = await readFile(join(siteDir, `customers/${customer?.id}/index.html`), 'utf8');
    expect(html).toMatch(/\d{4} à \d\d:\d\d UTC<\/time>/);
    expect(html).not.toContain('Europe/Paris');
    expect(html).toContain(
      `<link rel="canonical" href="https://contacts.example.com/annuaire/customers/${customer?.id}/">`,
    );
    const feed = parseFeed(await readFile(join(siteDir, 'changes/feed.xml'), 'utf8'));
    expect(feed.self).toBe('https://contacts.example.com/annuaire/changes/feed.xml');
    expect(feed.description).not.toContain('QWOTY_SITE_URL');
  });

  test('renders pages copied from the cache again when the language changes', async () => {
    const siteDir = join(dir, 'en-after-fr');
    const built = await runBuild(french.dataDir, siteDir, {
      cacheDir: `${french.siteDir}-cache`,
      reuse: true,
      env: { QWOTY_SITE_LANG: 'en' },
    });
    expect(built.code, built.stderr).toBe(0);
    const customer = french.snapshot.customers[0];
    const html = await readFile(join(siteDir, `customers/${customer?.id}/index.html`), 'utf8');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<th scope="col">Email</th>');
  });

  test('fails the build with one sentence for a language it does not have', async () => {
    const result = await runBuild(french.dataDir, join(dir, 'de'), { env: { QWOTY_SITE_LANG: 'de' } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'build failed: QWOTY_SITE_LANG is invalid (expected one of en, fr); see `npm run build -- --help`.',
    );
  });
});
