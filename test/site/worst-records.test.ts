/**
 * No value kept from the API can make a later stage fail: the worst records the caps let through are
 * published by a real fetch run, compared by the change report on the next night, read back from CSV and
 * XLSX by real parsers, and built into the site.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../../src/fake-api/generate.ts';
import { createQwotyServer, type WorkspaceData } from '../../src/fake-api/server.ts';
import { RawRecord, withAlternateShapes } from '../../src/fake-api/shapes.ts';
import { DEFAULT_CAPS } from '../../src/pipeline/answer-caps.ts';
import { parseFetchConfig } from '../../src/pipeline/config.ts';
import { readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import { runFetch } from '../../src/pipeline/run-fetch.ts';
import { createMemoryReporter } from '../../src/shared/reporter.ts';
import { runBuild } from '../../src/testing/build-fixture-site.ts';

const TOKEN = 'worst-records-token-0123456789';
let dir: string;

/** An object nested `levels` deep (the object itself is level 1). */
const nested = (levels: number): unknown => (levels <= 1 ? { end: true } : { next: nested(levels - 1) });

function worstWorkspace(night: 1 | 2): WorkspaceData {
  const workspace = withAlternateShapes(generateWorkspace({ contacts: 120, seed: 21, invalid: 2, bent: 6 }));
  const contacts = workspace.contacts.map((raw, index) => {
    const contact = raw as Record<string, unknown>;
    if (index === 10) {
      // As deep and as long as the caps allow: the record is level 1, so its field may nest 31 more.
      const name = night === 1 ? 'é'.repeat(200_000) : 'ü'.repeat(200_000);
      return { ...contact, first_name: name, x_deep: nested(DEFAULT_CAPS.maxDepth - 1) };
    }
    if (index === 11 && night === 1) {
      // Raw JSON: an own "__proto__" key and 1e400 cannot be written from a JavaScript object.
      const text = JSON.stringify({
        ...contact,
        last_name: 'lone \uD800 surrogate \u0000\u0007 bell \u2028 separator',
        email: '=HYPERLINK("https://evil.example")',
        phone: { number: '+33 6 12 34 56 78' },
        role: 'decision_maker',
        constructor: { prototype: { polluted: true } },
      });
      return new RawRecord(
        `${text.slice(0, -1)},"__proto__":{"customer_name":"polluted","polluted":true},"x_huge_number":1e400}`,
        { id: String(contact.id), customer_id: String(contact.customer_id) },
      );
    }
    return contact;
  });
  const customers = workspace.customers.map((raw, index) =>
    index === 0
      ? {
          ...(raw as object),
          name: '<script>alert(1)</script> & Co',
          custom_properties: { tree: nested(30) },
        }
      : raw,
  );
  return {
    ...workspace,
    contacts: night === 1 ? contacts : contacts.filter((_, index) => index !== 11),
    customers,
  };
}

async function night(number: 1 | 2, dataDir: string) {
  const server = await createQwotyServer({ token: TOKEN, workspace: worstWorkspace(number) });
  try {
    const parsed = parseFetchConfig(
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: server.url, QWOTY_DATA_DIR: dataDir, QWOTY_RETRIES: '1' },
      [],
    );
    if (parsed.help) throw new Error('unexpected help');
    return await runFetch({
      config: parsed.config,
      reporter: createMemoryReporter(),
      tool: { name: 'test', version: '0' },
      pid: process.pid,
    });
  } finally {
    await server.close();
  }
}

let dataDir: string;
let siteDir: string;
let second: Awaited<ReturnType<typeof night>>;
let first: Awaited<ReturnType<typeof night>>;
let build: Awaited<ReturnType<typeof runBuild>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qwoty-worst-'));
  dataDir = join(dir, 'data');
  siteDir = join(dir, 'dist');
  first = await night(1, dataDir);
  second = await night(2, dataDir);
  build = await runBuild(dataDir, siteDir);
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the worst records the caps let through', () => {
  test('are published on both nights, with the identity-less ones set aside', async () => {
    expect(first.manifest.counts).toMatchObject({ contacts: 118, rejected: 2 });
    expect(second.manifest.counts).toMatchObject({ contacts: 117, rejected: 2 });
    const { snapshot } = await readSnapshot(dataDir);
    const deep = snapshot.contacts.find((contact) => contact.first_name?.startsWith('ü'));
    // Its undocumented field, nested as deep as the caps allow, is read but not published.
    expect(deep).toBeDefined();
    expect(Object.keys(deep ?? {})).not.toContain('x_deep');
    expect(snapshot.customers.find((customer) => customer.custom_properties)?.custom_properties).toEqual({
      tree: nested(30),
    });
  });

  test('never let a key of the API set a prototype or a field the snapshot computes', async () => {
    // Night 1's snapshot folder is kept beside the live one.
    const text = await readFile(join(first.dir, 'contacts.json'), 'utf8');
    const { contacts, customers } = JSON.parse(text) as {
      contacts: Record<string, unknown>[];
      customers: { id: string; name: string | null }[];
    };
    const hostile = contacts.find((contact) => String(contact.last_name).startsWith('lone'));
    expect(hostile).toBeDefined();
    const customer = customers.find((entry) => entry.id === hostile?.customer_id);
    expect(hostile?.customer_name).toBe(customer?.name);
    expect(hostile?.customer_name).not.toBe('polluted');
    expect(hostile).toMatchObject({ role: ['decision_maker'], phone: null });
    // Undocumented keys are not published at all.
    for (const key of ['x_huge_number', 'constructor', '__proto__'])
      expect(Object.hasOwn(hostile ?? {}, key)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('are compared by the change report on the next night', () => {
    expect(second.changes.totals).toMatchObject({ removed: 1, changed: 1, added: 0 });
    expect(second.changes.contacts.changed[0]?.fields).toEqual(['first_name']);
  });

  test('are read back from contacts.csv and contacts.xlsx by real parsers', async () => {
    const rows: string[][] = parseCsv(await readFile(join(dataDir, 'contacts.csv')), { bom: true });
    expect(rows).toHaveLength(118);
    expect(rows.some((row) => row.some((cell) => cell.length === 200_000))).toBe(true);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(dataDir, 'contacts.xlsx'));
    expect(workbook.getWorksheet('Contacts')?.actualRowCount).toBe(118);
  });

  test('are built into the site, whose quality page lists the normalised fields', async () => {
    expect(build.code, build.stderr).toBe(0);
    const quality = await readFile(join(siteDir, 'quality/index.html'), 'utf8');
    expect(quality).toContain('Fields normalised');
    expect(quality).toMatch(/Mapped: one role sent as a string, read as a one-element list/);
    const { snapshot } = await readSnapshot(dataDir);
    const customer = snapshot.customers.find((entry) => entry.custom_properties);
    const page = await readFile(join(siteDir, `customers/${customer?.id}/index.html`), 'utf8');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
  });
});
