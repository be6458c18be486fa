/**
 * End-to-end tests of what a reader takes away from the site, in headless Chromium: the CSV of a search or of
 * a customer page's filter, the emails on the clipboard, and vCards. Downloads are saved by the browser and
 * read back by real parsers (csv-parse, python3-vobject).
 *
 * Like `site.test.ts`, they build a small fixture site in each language, or run on a built one with
 * `QWOTY_E2E_SITE=<dir>` in its language, and skip themselves with a message without Chromium (or
 * python3-vobject, for the vCard checks), except in CI, where that fails. What the buttons and messages say is
 * taken from the language tables.
 */
import { readdir, readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RESULT_LIMIT } from '../../src/consts.ts';
import { contactsToCsv } from '../../src/pipeline/exporters/csv.ts';
import { type Snapshot, type SnapshotContact, SnapshotSchema } from '../../src/shared/schema/published.ts';
import { contactName } from '../../src/site/build/directory.ts';
import { fileName, leftOutMessage } from '../../src/site/client/export-actions.ts';
import { splitCsvRecords } from '../../src/site/shared/csv-records.ts';
import { mailtoHref } from '../../src/site/shared/format.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { parseContactLines, type SearchHeader } from '../../src/site/shared/search.ts';
import { createText } from '../../src/site/shared/text.ts';
import { indexContact, search } from '../../src/testing/reference-search.ts';
import type { StaticServer } from '../../src/testing/static-server.ts';
import {
  chromiumSuite,
  e2eLanguages,
  expectNoSeriousViolations,
  type SiteUnderTest,
  serveSiteUnderTest,
  typeQuery,
} from '../helpers/e2e.ts';
import { hasVobject, readVcards, VOBJECT_MISSING } from '../helpers/vcards.ts';

const suite = chromiumSuite('the end-to-end export tests');
const noVobject = !hasVobject();
if (noVobject && !process.env.CI)
  console.warn(`Skipping the vCard checks of the end-to-end tests. ${VOBJECT_MISSING}`);
const withVobject = noVobject && !process.env.CI ? test.skip : test;
const languages = await e2eLanguages();

let site: SiteUnderTest;
let browser: Browser;
let server: StaticServer;
let siteDir: string;
let snapshot: Snapshot;
let byId: Map<string, SnapshotContact>;
let requests: string[];
let problems: string[];

const newPage: SiteUnderTest['newPage'] = (options) => site.newPage(options);

/** Waits until what `selector` shows is `expected`. */
async function shows(page: Page, selector: string, expected: string): Promise<void> {
  await expect.poll(() => page.locator(selector).textContent()).toBe(expected);
}

/** Clicks and saves what the browser downloads. */
async function download(page: Page, selector: string): Promise<{ file: Download; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  return { file, bytes: await readFile((await file.path()) ?? '') };
}

/** The contacts of a downloaded CSV, by its Contact ID column, checked against the snapshot's bytes. */
function expectSnapshotRows(csv: string): SnapshotContact[] {
  const [header = '', ...records] = splitCsvRecords(csv);
  const contacts = parse<Record<string, string>>(csv, { bom: true, columns: true }).map((row) => {
    const contact = byId.get(row['Contact ID'] ?? '');
    if (!contact) throw new Error(`The CSV has a contact the snapshot does not: ${row['Contact ID']}`);
    return contact;
  });
  // Every row is the one the snapshot's CSV writer writes for that contact, byte for byte.
  contacts.forEach((contact, index) => {
    expect(`${header}${records[index]}`).toBe(contactsToCsv([contact]));
  });
  return contacts;
}

/**
 * A one-letter query with more matches than the results list draws, found with the site's own search files
 * and search code, so that the test holds on any site.
 */
async function broadQuery(): Promise<{ query: string; total: number }> {
  const files = await readdir(`${siteDir}/search`);
  const read = (prefix: string) =>
    readFile(`${siteDir}/search/${files.find((file) => file.startsWith(prefix))}`, 'utf8');
  const header: SearchHeader = JSON.parse(await read('header.'));
  const contacts = parseContactLines(await read('contacts.'));
  const index = contacts.map((contact) => indexContact(contact, header));
  const totals = [...'abcdefghijklmnopqrstuvwxyz'].map(
    (letter) => [letter, search(contacts, index, letter, { role: -1, country: -1 }, 1).total] as const,
  );
  const [best] = totals.sort((a, b) => b[1] - a[1]);
  if (!best || best[1] <= 50) throw new Error('No one-letter query finds more than 50 contacts');
  return { query: best[0], total: best[1] };
}

/**
 * The emails of `contacts` as a mail client may get them, found with the rule of the pages' `mailto:` links:
 * each once (whatever its case), and the values a link would not carry, left out.
 */
function recipientsOf(contacts: readonly SnapshotContact[]): { addresses: string[]; leftOut: string[] } {
  const seen = new Set<string>();
  const addresses: string[] = [];
  const leftOut: string[] = [];
  for (const contact of contacts) {
    const email = contact.email?.replace(/[\t\r\n]+/g, ' ').trim();
    if (!email || seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    (mailtoHref(email) ? addresses : leftOut).push(email);
  }
  return { addresses, leftOut };
}

/** A customer whose contacts have several roles, so that its page has a role filter. */
function customerWithRoles() {
  const customer = snapshot.customers.find(
    (item) =>
      new Set(snapshot.contacts.filter((contact) => contact.customer_id === item.id).flatMap((c) => c.role))
        .size > 1,
  );
  if (!customer) throw new Error('No customer with contacts of several roles');
  return customer;
}

suite.each(languages)('taking contacts away from the site, in Chromium (%s)', (lang) => {
  const text = createText(lang, MESSAGES[lang]);

  beforeAll(async () => {
    // Each language's site is served on a port of its own, with its own lists of requests and problems.
    site = await serveSiteUnderTest(lang, {
      context: { acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] },
    });
    ({ siteDir, server, browser, requests, problems } = site);
    snapshot = SnapshotSchema.parse(JSON.parse(await readFile(`${siteDir}/downloads/contacts.json`, 'utf8')));
    byId = new Map(snapshot.contacts.map((contact) => [contact.id, contact]));
  });

  afterAll(async () => {
    await site?.close();
  });

  test('downloads every result of a search, as many as announced, in the order listed', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    expect(await page.locator('#result-export').isVisible()).toBe(false);
    const { query, total: count } = await broadQuery();
    await typeQuery(page, query);
    // After the number of matching customers, when the query names some too.
    const contactsMatch = text.t('client.search.more', { count, shown: RESULT_LIMIT });
    await expect
      .poll(async () => (await page.locator('#search-status').textContent())?.endsWith(contactsMatch))
      .toBe(true);
    await shows(page, '#result-export [data-action="csv"]', text.n('client.export.downloadResults', count));

    const { file, bytes } = await download(page, '#result-export [data-action="csv"]');
    expect(file.suggestedFilename()).toBe(`contacts-${query}.csv`);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8');
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parse(bytes, { bom: true });
    expect(rows).toHaveLength(count + 1);
    const contacts = expectSnapshotRows(csv);
    expect(new Set(contacts.map((contact) => contact.id)).size).toBe(count);
    // The same order as the list: the 50 drawn first, as drawn.
    const drawn = await page
      .locator('#search-results .result-name')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href')?.split('#contact-')[1]));
    expect(contacts.slice(0, drawn.length).map((contact) => contact.id)).toEqual(drawn);
    await shows(
      page,
      '#search-status',
      text.n('client.export.downloaded', count, { file: `contacts-${query}.csv` }),
    );
  });

  test('downloads exactly the contacts a role filter finds, and only the export chunks they are in', async () => {
    const page = await newPage();
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(new URL(request.url()).pathname));
    await page.goto(`${server.url}/`);
    await page.locator('#role').selectOption('signer');
    const expected = snapshot.contacts.filter((contact) => contact.role.includes('signer'));
    await shows(
      page,
      '#result-export [data-action="csv"]',
      text.n('client.export.downloadResults', expected.length),
    );
    expect(loaded.filter((path) => path.startsWith('/export/'))).toEqual([]);
    const { file, bytes } = await download(page, '#result-export [data-action="csv"]');
    // Named after the role as the reader reads it.
    expect(file.suggestedFilename()).toBe(lang === 'fr' ? 'contacts-signataire.csv' : 'contacts-signer.csv');
    const contacts = expectSnapshotRows(bytes.toString('utf8'));
    expect(contacts.map((contact) => contact.id).sort()).toEqual(
      expected.map((contact) => contact.id).sort(),
    );
    const exportFiles = loaded.filter((path) => path.startsWith('/export/'));
    expect(exportFiles[0]).toMatch(/^\/export\/index\.[0-9a-f]{12}\.json$/);
    expect(exportFiles.slice(1).every((path) => /^\/export\/rows-\d+\.[0-9a-f]{12}\.json$/.test(path))).toBe(
      true,
    );
  });

  test('copies the emails of every match to the clipboard, comma-separated, and says so', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#role').selectOption('signer');
    const { addresses: expected, leftOut } = recipientsOf(
      snapshot.contacts.filter((item) => item.role.includes('signer')),
    );
    await shows(
      page,
      '#result-export [data-action="emails"]',
      text.n('client.export.copyEmails', expected.length),
    );
    await page.locator('#result-export [data-action="emails"]').click();
    const copiedStatus = text.n('client.export.copied', expected.length);
    await expect
      .poll(async () => ((await page.locator('#search-status').textContent()) ?? '').startsWith(copiedStatus))
      .toBe(true);
    const status = (await page.locator('#search-status').textContent()) ?? '';
    if (leftOut.length > 0 && leftOut.length <= 10) {
      for (const value of leftOut) expect(status).toContain(`"${value}"`);
    } else if (leftOut.length === 0) expect(status).toBe(copiedStatus);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.split(', ').sort()).toEqual(expected.sort());
  });

  test('copies from a customer page only what a mailto: link would carry, and names what it left out', async () => {
    // The fixture's "a@x.com, evil@y.com"; on a site given in QWOTY_E2E_SITE, any value a link would not carry.
    const target =
      snapshot.contacts.find((contact) => contact.email === 'a@x.com, evil@y.com') ??
      (site.given
        ? snapshot.contacts.find((contact) => contact.email && !mailtoHref(contact.email))
        : undefined);
    if (!target) throw new Error('The snapshot has no email that a mailto: link would not carry');
    const contacts = snapshot.contacts.filter((contact) => contact.customer_id === target.customer_id);
    const { addresses, leftOut } = recipientsOf(contacts);
    expect(leftOut).toContain(target.email?.trim());
    const page = await newPage();
    await page.goto(`${server.url}/customers/${target.customer_id}/`);
    // The page shows the value as text, not as a link: the same rule.
    expect(await page.locator(`[id="contact-${target.id}"] a[href^="mailto:"]`).count()).toBe(0);
    await shows(
      page,
      '.contact-export [data-action="emails"]',
      text.n('client.export.copyEmails', addresses.length),
    );
    await page.locator('.contact-export [data-action="emails"]').click();
    await shows(
      page,
      '.export-status',
      `${text.n('client.export.copied', addresses.length)} ${leftOutMessage(leftOut, text)}`,
    );
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.split(', ').sort()).toEqual([...addresses].sort());
    if (target.email === 'a@x.com, evil@y.com') expect(copied).not.toContain('evil@y.com');
  });

  test("downloads the rows a customer page's filter shows, byte for byte as in the customer's CSV", async () => {
    const customer = customerWithRoles();
    const page = await newPage();
    await page.goto(`${server.url}/customers/${customer.id}/`);
    expect(await page.locator('.contact-export [data-action="csv"]').isVisible()).toBe(false);
    const role = (await page.locator('#filter-role option').nth(1).getAttribute('value')) ?? '';
    await page.locator('#filter-role').selectOption(role);
    const shown = await page
      .locator('table.contacts tbody tr:visible')
      .evaluateAll((rows) => rows.map((row) => row.id.replace('contact-', '')));
    const count = shown.length;
    await shows(page, '.contact-export [data-action="csv"]', text.n('client.export.downloadShown', count));
    const { file, bytes } = await download(page, '.contact-export [data-action="csv"]');
    // Named after the customer and the role as the reader reads them: "contacts-acme-sarl-7-decideur.csv".
    expect(customer.name).toBeTruthy();
    expect(file.suggestedFilename()).toBe(
      fileName(['contacts', customer.name ?? '', text.value('role', role)], 'csv'),
    );
    expect(file.suggestedFilename()).not.toContain(customer.id.slice(0, 8));
    await shows(
      page,
      '.export-status',
      text.n('client.export.downloaded', count, { file: file.suggestedFilename() }),
    );
    const csv = bytes.toString('utf8');
    expect(parse(bytes, { bom: true })).toHaveLength(count + 1);
    const rows = expectSnapshotRows(csv);
    expect(rows.map((contact) => contact.id)).toEqual(shown);
    expect(csv).toBe(contactsToCsv(rows));

    const { addresses: emails, leftOut } = recipientsOf(rows);
    await shows(
      page,
      '.contact-export [data-action="emails"]',
      text.n('client.export.copyEmails', emails.length),
    );
    await page.locator('.contact-export [data-action="emails"]').click();
    await shows(
      page,
      '.export-status',
      leftOut.length > 0
        ? `${text.n('client.export.copied', emails.length)} ${leftOutMessage(leftOut, text)}`
        : text.n('client.export.copied', emails.length),
    );
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.split(', ').sort()).toEqual(emails.sort());
  });

  test("says what to do, in the page's language, when the customer's CSV no longer matches its page", async () => {
    const customer = customerWithRoles();
    const page = await newPage();
    // A CSV from another night: its header and no contact.
    await page.route(`**/customers/${customer.id}/contacts.csv`, (route) =>
      route.fulfill({ body: contactsToCsv([]), contentType: 'text/csv; charset=utf-8' }),
    );
    await page.goto(`${server.url}/customers/${customer.id}/`);
    await page.locator('#filter-role').selectOption({ index: 1 });
    await page.locator('.contact-export [data-action="csv"]').click();
    await shows(
      page,
      '.export-status',
      text.t('client.export.downloadFailed', { reason: text.t('client.export.mismatch') }),
    );
    expect(await page.locator('.contact-export [data-action="csv"]').isEnabled()).toBe(true);
  });

  withVobject("saves a contact's card from its row: the card of the customer's file, one card", async () => {
    // The contact with the most hostile name the snapshot has.
    const hostile =
      snapshot.contacts.find((contact) => /[\r\n]/.test(contactName(contact))) ??
      snapshot.contacts.find((contact) => contactName(contact).includes('<script>')) ??
      snapshot.contacts[0];
    if (!hostile) throw new Error('The snapshot has no contacts');
    const page = await newPage();
    await page.goto(`${server.url}/customers/${hostile.customer_id}/`);
    const link = page.locator(`[id="contact-${hostile.id}"] a.save-contact`);
    expect(await link.getAttribute('href')).toBe(`/customers/${hostile.customer_id}/contacts.vcf`);
    const [saved] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const card = await readFile((await saved.path()) ?? '', 'utf8');
    expect(saved.suggestedFilename()).toMatch(/\.vcf$/);
    const [read, ...more] = await readVcards(card);
    expect(more).toEqual([]);
    expect(read?.uid).toEqual([hostile.id]);
    expect(read?.n.given).toBe((hostile.first_name ?? '').replace(/\r\n?/g, '\n'));
    expect(read?.n.family).toBe((hostile.last_name ?? '').replace(/\r\n?/g, '\n'));

    const file = await readFile(`${siteDir}/customers/${hostile.customer_id}/contacts.vcf`, 'utf8');
    expect(file).toContain(card);
    const contacts = snapshot.contacts.filter((contact) => contact.customer_id === hostile.customer_id);
    const cards = await readVcards(file);
    expect(cards).toHaveLength(contacts.length);
    expect(cards.map((item) => item.uid[0]).sort()).toEqual(contacts.map((contact) => contact.id).sort());
  });

  withVobject("saves the customer's whole card file without JavaScript", async () => {
    const customer = customerWithRoles();
    const noJs = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
    try {
      const page = await noJs.newPage();
      await page.goto(`${server.url}/customers/${customer.id}/`);
      expect(await page.locator('.contact-export').isVisible()).toBe(false);
      const [saved] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a.save-contact').first().click(),
      ]);
      expect(saved.suggestedFilename()).toBe(`contacts-${customer.id}.vcf`);
      const cards = await readVcards(await readFile((await saved.path()) ?? ''));
      expect(cards).toHaveLength(customer.contact_count);
    } finally {
      await noJs.close();
    }
  });

  test('has no serious or critical axe violations with the export buttons shown', async () => {
    for (const dark of [false, true]) {
      const page = await newPage({ dark });
      await page.goto(`${server.url}/`);
      await typeQuery(page, (await broadQuery()).query);
      await page.locator('#result-export [data-action="emails"]').waitFor();
      await expect.poll(() => page.locator('#result-export [data-action="emails"]').isEnabled()).toBe(true);
      await expectNoSeriousViolations(page, `search results with export${dark ? ' (dark)' : ''}`);
      const customer = customerWithRoles();
      await page.goto(`${server.url}/customers/${customer.id}/`);
      await page.locator('#filter-role').selectOption({ index: 1 });
      await page.locator('.contact-export [data-action="csv"]').waitFor();
      await expectNoSeriousViolations(page, `a filtered customer page${dark ? ' (dark)' : ''}`);
    }
  });

  test('made no request outside the site and met no script error or CSP violation', () => {
    const foreign = requests.filter(
      (url) => !url.startsWith(`${server.url}/`) && !url.startsWith(`blob:${server.url}/`),
    );
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});
