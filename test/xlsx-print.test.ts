/**
 * contacts.xlsx as the people who open it read and print it: openpyxl for what a spreadsheet shows (typed
 * date cells, widths, wrapping, page setup, the words of the site's language), and LibreOffice printing it to
 * PDF for what comes out of the printer (page count, one page wide, the header on every page).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SHEET_LABELS } from '../src/pipeline/exporters/sheet-labels.ts';
import { createXlsxExporter, MAX_WIDTH, type XlsxOptions } from '../src/pipeline/exporters/xlsx.ts';
import { SITE_LANGS } from '../src/shared/locale.ts';
import type { Snapshot } from '../src/shared/schema/published.ts';
import { MESSAGES } from '../src/site/shared/i18n.ts';
import { syntheticSnapshot } from '../src/testing/sample-snapshot.ts';
import {
  hasOpenpyxl,
  hasPdfTools,
  printWithLibreOffice,
  type ReadSheet,
  readWithOpenpyxl,
} from './helpers/xlsx.ts';

const inCi = Boolean(process.env.CI);
const withOpenpyxl = hasOpenpyxl() || inCi ? describe : describe.skip;
const withPdf = hasPdfTools() || inCi ? describe : describe.skip;
if (!hasOpenpyxl() || !hasPdfTools()) {
  console.warn(
    'Skipping some XLSX tests: they need python3-openpyxl, LibreOffice Calc and poppler-utils (`apt-get install -y --no-install-recommends python3-openpyxl libreoffice-calc-nogui poppler-utils`).',
  );
}

const LONG_EMAIL = 'marie-christine.de-la-fontaine@cabinet-comptable-exemple.fr';
const PHONE_WITH_EXTENSION = '+33 1 21 13 59 35 ext. 1';

/** 400 plain contacts, the first with a long email, a phone extension, known and unknown roles. */
function printableSnapshot(): Snapshot {
  const snapshot = syntheticSnapshot(400);
  const [first] = snapshot.contacts;
  const [customer] = snapshot.customers;
  if (!first || !customer) throw new Error('the synthetic snapshot is empty');
  Object.assign(first, {
    email: LONG_EMAIL,
    phone: PHONE_WITH_EXTENSION,
    role: ['decision_maker', 'technical_contact', 'key_account'],
    created_at: '2022-11-29T18:49:49.338Z',
    updated_at: '2026-07-01T00:30:00Z',
  });
  Object.assign(customer, {
    type: 'company',
    tax_ids: [
      { tax: 'vat', tax_value: 'FR12345678901' },
      { tax: 'siret', tax_value: '00012345678901' },
    ],
  });
  const [address] = customer.addresses;
  if (address)
    Object.assign(address, {
      street: '12 rue de la Paix',
      postal_code: '75002',
      city: 'Paris',
      region: 'Île-de-France',
      country: 'FR',
    });
  return snapshot;
}

let dir: string;
const written = new Map<string, string>();

async function write(options: XlsxOptions): Promise<string> {
  const key = `${options.lang} ${options.timeZone}`;
  const found = written.get(key);
  if (found) return found;
  const path = join(dir, `${options.lang}-${String(options.timeZone).replace('/', '-')}`, 'contacts.xlsx');
  await (await import('node:fs/promises')).mkdir(join(path, '..'), { recursive: true });
  await createXlsxExporter(options).write(printableSnapshot(), path);
  written.set(key, path);
  return path;
}

function column(sheet: ReadSheet, header: string): number {
  const index = sheet.rows[0]?.indexOf(header) ?? -1;
  if (index < 0) throw new Error(`no column ${header} in ${JSON.stringify(sheet.rows[0])}`);
  return index;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qwoty-xlsx-print-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sheet labels', () => {
  test.each(SITE_LANGS)('word the roles and customer types as the %s site does', (lang) => {
    const labels = SHEET_LABELS[lang];
    const site = MESSAGES[lang] as Record<string, unknown>;
    for (const [role, label] of Object.entries(labels.roles)) expect(site[`role.${role}`], role).toBe(label);
    for (const [type, label] of Object.entries(labels.customerTypes))
      expect(site[`customerType.${type}`], type).toBe(label);
    const siteRoles = Object.keys(site).filter((key) => key.startsWith('role.'));
    expect(siteRoles.map((key) => key.slice('role.'.length)).sort()).toEqual(
      Object.keys(labels.roles).sort(),
    );
  });
});

withOpenpyxl('contacts.xlsx read by openpyxl', () => {
  test('holds created_at and updated_at as date-time cells with a readable format, in UTC by default', async () => {
    const [contacts] = await readWithOpenpyxl(await write({ lang: 'en', timeZone: null }));
    if (!contacts) throw new Error('no sheet');
    const created = column(contacts, 'Created at (UTC)');
    const updated = column(contacts, 'Updated at (UTC)');
    expect(contacts.rows[1]?.[created]).toEqual({ date: '2022-11-29T18:49:49.338000' });
    expect(contacts.rows[1]?.[updated]).toEqual({ date: '2026-07-01T00:30:00' });
    expect(contacts.formats[created]).toBe('yyyy-mm-dd hh:mm');
  });

  test('writes the dates in the time zone set, and names it in the header', async () => {
    const [contacts] = await readWithOpenpyxl(await write({ lang: 'fr', timeZone: 'Europe/Paris' }));
    if (!contacts) throw new Error('no sheet');
    // Winter: UTC+1; summer: UTC+2, across midnight.
    expect(contacts.rows[1]?.[column(contacts, 'Créé le (Europe/Paris)')]).toEqual({
      date: '2022-11-29T19:49:49.338000',
    });
    expect(contacts.rows[1]?.[column(contacts, 'Modifié le (Europe/Paris)')]).toEqual({
      date: '2026-07-01T02:30:00',
    });
    expect(contacts.formats[column(contacts, 'Créé le (Europe/Paris)')]).toBe('dd/mm/yyyy hh:mm');
  });

  test('fits each column to its longest value, caps it, and wraps what is longer', async () => {
    const [contacts] = await readWithOpenpyxl(await write({ lang: 'en', timeZone: null }));
    if (!contacts) throw new Error('no sheet');
    const width = (header: string) => contacts.widths[column(contacts, header)] ?? 0;
    expect(width('Email')).toBeGreaterThanOrEqual(Math.min(MAX_WIDTH, LONG_EMAIL.length));
    expect(width('Phone')).toBeGreaterThanOrEqual(PHONE_WITH_EXTENSION.length);
    // A first name of at most nine characters needs no 16-character column.
    expect(width('First name')).toBeLessThan(16);
    for (const value of contacts.widths) expect(value).toBeLessThanOrEqual(MAX_WIDTH);
    expect(contacts.wrap[column(contacts, 'Email')]).toBe(LONG_EMAIL.length + 2 > MAX_WIDTH);
    expect(contacts.wrap[column(contacts, 'Phone')]).toBe(false);
  });

  test.each(['en', 'fr'] as const)(
    'prints in %s: A4 landscape, one page wide, header row on every page, dated footer',
    async (lang) => {
      const sheets = await readWithOpenpyxl(await write({ lang, timeZone: null }));
      expect(sheets).toHaveLength(2);
      for (const sheet of sheets) {
        expect(sheet).toMatchObject({
          orientation: 'landscape',
          paperSize: 9,
          fitToPage: true,
          fitToWidth: 1,
          fitToHeight: 0,
          printTitleRows: '$1:$1',
          freeze: 'A2',
        });
        expect(sheet.footer.right).toBe(lang === 'fr' ? 'Page &P sur &N' : 'Page &P of &N');
      }
      // syntheticSnapshot is dated 2024-05-01T02:00:00Z.
      expect(sheets[0]?.footer.left).toBe(
        lang === 'fr'
          ? 'Instantané du 1 mai 2024 à 04:00 (Europe/Paris)'
          : 'Snapshot of 1 May 2024 at 02:00 (UTC)',
      );
    },
  );

  test('words roles, customer types and tax ids in French, and keeps unknown roles readable', async () => {
    const [contacts, customers] = await readWithOpenpyxl(await write({ lang: 'fr', timeZone: null }));
    if (!contacts || !customers) throw new Error('no sheets');
    expect(contacts.name).toBe('Contacts');
    expect(customers.name).toBe('Clients');
    expect(contacts.rows[0]).toContain('Prénom');
    expect(contacts.rows[1]?.[column(contacts, 'Rôles')]).toBe('décideur, contact technique, key account');
    expect(customers.rows[1]?.[column(customers, 'Type de client')]).toBe('entreprise');
    expect(customers.rows[1]?.[column(customers, 'Identifiants fiscaux')]).toBe(
      'TVA FR12345678901, SIRET 00012345678901',
    );
  });

  test("gives the Customers sheet the tax ids and the main address's parts as columns", async () => {
    const [, customers] = await readWithOpenpyxl(await write({ lang: 'en', timeZone: null }));
    if (!customers) throw new Error('no sheet');
    const row = customers.rows[1] ?? [];
    expect(row[column(customers, 'Tax IDs')]).toBe('VAT FR12345678901, SIRET 00012345678901');
    expect(row[column(customers, 'Street')]).toBe('12 rue de la Paix');
    expect(row[column(customers, 'Postal code')]).toBe('75002');
    expect(row[column(customers, 'City')]).toBe('Paris');
    expect(row[column(customers, 'Region')]).toBe('Île-de-France');
    expect(row[column(customers, 'Country')]).toBe('FR');
  });
});

withPdf('contacts.xlsx printed by LibreOffice', () => {
  test.each(['en', 'fr'] as const)(
    'prints 400 contacts (%s) one page wide, on at most one page per 40 contacts, header on each page',
    async (lang) => {
      const path = await write({ lang, timeZone: null });
      const { pages } = await printWithLibreOffice(path, join(path, '..'), join(dir, `profile-${lang}`));
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.length).toBeLessThanOrEqual(400 / 40);
      for (const page of pages) {
        // A4 landscape: 842 x 595 points.
        expect(Math.round(page.width)).toBe(842);
        expect(Math.round(page.height)).toBe(595);
      }
      const first = lang === 'fr' ? 'Client' : 'Customer';
      const last = lang === 'fr' ? 'Modifié le' : 'Updated at';
      const contactPages = pages.filter((page) =>
        page.text.includes(lang === 'fr' ? 'Prénom' : 'First name'),
      );
      expect(contactPages.length).toBeGreaterThan(1);
      for (const page of contactPages) {
        // Its first and last column on the same page, every page: one page wide, the header repeated.
        expect(page.text).toContain(first);
        expect(page.text).toContain(last);
      }
      // Every contact's email is printed once: nothing left out, nothing on a second page across.
      const printed = pages.map((page) => page.text).join('\n');
      const emails = printableSnapshot()
        .contacts.slice(1)
        .flatMap((contact) => contact.email ?? []);
      expect(printed.match(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g)?.sort()).toEqual(emails.sort());
      expect(printed).toContain(lang === 'fr' ? 'Page 1 sur' : 'Page 1 of');
    },
  );
});
