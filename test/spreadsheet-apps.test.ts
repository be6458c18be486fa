/**
 * The exports opened in a real spreadsheet application: Debian's LibreOffice Calc, headless. Every CSV this
 * project publishes (the snapshot, a customer's CSV, changes.csv, quality.csv) is opened as comma-, `;`- and
 * tab-separated, with formulas evaluated as when a person opens it, and the XLSX export is opened too; each is
 * saved as XLSX and read back with exceljs.
 *
 * Without LibreOffice (`soffice`) the tests are skipped with a message, except in CI (`CI` set), where that
 * fails.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contactsToCsv, csvExporter } from '../src/pipeline/exporters/csv.ts';
import { SHEET_LABELS } from '../src/pipeline/exporters/sheet-labels.ts';
import { sheetColumns, xlsxExporter } from '../src/pipeline/exporters/xlsx.ts';
import { diffSnapshots, previousFromSnapshot } from '../src/pipeline/reports/changes.ts';
import { CHANGES_CSV_FILE, QUALITY_CSV_FILE, reportFiles } from '../src/pipeline/reports/files.ts';
import { assessQuality } from '../src/pipeline/reports/quality.ts';
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS } from '../src/shared/export-columns.ts';
import type { Snapshot } from '../src/shared/schema/published.ts';
import { type CsvImport, convertToXlsx, hasLibreOffice, SOFFICE_PATH } from '../src/testing/libreoffice.ts';
import { fixtureId } from '../src/testing/records.ts';
import { formulaCustomer, sampleSnapshot } from '../src/testing/sample-snapshot.ts';

const missing = !hasLibreOffice();
const inCi = Boolean(process.env.CI);
if (missing && !inCi) {
  console.warn(
    `Skipping the spreadsheet-application tests: no LibreOffice at ${SOFFICE_PATH}. Install it with \`apt-get install -y --no-install-recommends libreoffice-calc-nogui\` (or set SOFFICE_PATH).`,
  );
}
const suite = missing && !inCi ? describe.skip : describe;

/** One published CSV: its file name and the ids of the contacts it must hold. */
interface CsvFile {
  name: string;
  ids: string[];
}

/** How people open a comma file: as written, in a `;` locale, and split on tabs. */
const READINGS: { label: string; import: CsvImport }[] = [
  {
    label: 'as comma-separated in French, default options',
    import: { separator: ',', language: 1036, quotedAsText: false },
  },
  {
    label: 'as semicolon-separated in French, as French and German spreadsheets split',
    import: { separator: ';', language: 1036, quotedAsText: false },
  },
  { label: 'as tab-separated in German', import: { separator: '\t', language: 1031, quotedAsText: false } },
];

/** The reading the README recommends to keep every value as text: "Format quoted field as text". */
const AS_TEXT: CsvImport = { separator: ',', language: 1033, quotedAsText: true };

/** What `contacts.csv` looked like before every field was quoted: the file, a formula under `;`. */
const UNSAFE_CSV = '\uFEFFCustomer,First name,Last name\r\nAcme,Ann;=1+1,5;=2+2\r\n';

let dir: string;
let profileDir: string;
let snapshot: Snapshot;
let csvFiles: CsvFile[];
/** The XLSX files LibreOffice saved, by reading label and then by source file name. */
const converted = new Map<string, Map<string, string>>();

function sourcePath(name: string): string {
  return join(dir, 'sources', name);
}

async function readWorkbook(path: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  return workbook;
}

/** Every cell of every sheet, with its sheet and address. */
function allCells(workbook: ExcelJS.Workbook): { where: string; cell: ExcelJS.Cell }[] {
  const found: { where: string; cell: ExcelJS.Cell }[] = [];
  for (const worksheet of workbook.worksheets) {
    worksheet.eachRow({ includeEmpty: true }, (row) => {
      row.eachCell({ includeEmpty: true }, (cell) => {
        found.push({ where: `${worksheet.name}!${cell.address}`, cell });
      });
    });
  }
  return found;
}

/** The cells that hold a formula, as `Sheet!A1: formula`. */
function formulaCells(workbook: ExcelJS.Workbook): string[] {
  return allCells(workbook)
    .filter(({ cell }) => cell.type === ExcelJS.ValueType.Formula || cell.formula !== undefined)
    .map(({ where, cell }) => `${where}: ${cell.formula}`);
}

/** The first sheet as rows of cell text (`''` for an empty cell), `width` cells a row. */
function grid(worksheet: ExcelJS.Worksheet, width: number): string[][] {
  const rows: string[][] = [];
  for (let r = 1; r <= worksheet.rowCount; r += 1) {
    const row = worksheet.getRow(r);
    rows.push(
      Array.from({ length: width }, (_, c) => {
        const { value, text } = row.getCell(c + 1);
        return value instanceof Date ? value.toISOString().slice(0, 16) : text;
      }),
    );
  }
  return rows;
}

function firstSheet(workbook: ExcelJS.Workbook): ExcelJS.Worksheet {
  const [worksheet] = workbook.worksheets;
  if (!worksheet) throw new Error('the workbook has no sheet');
  return worksheet;
}

function convertedPath(label: string, name: string): string {
  const path = converted.get(label)?.get(name);
  if (!path) throw new Error(`LibreOffice did not convert ${name} ${label}`);
  return path;
}

/** The same line breaks as a spreadsheet cell: LF only. */
const lf = (text: string) => text.replace(/\r\n?/g, '\n');

/**
 * What an XLSX cell shows for a column value: the text with LF line breaks and without the C0 controls XML
 * cannot carry (tab and line feed stay), or the count.
 */
function cellText(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML cannot carry
  return lf(value.toWellFormed()).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');
}

suite('the exports in LibreOffice Calc', () => {
  beforeAll(async () => {
    if (missing) {
      throw new Error(
        `No LibreOffice at ${SOFFICE_PATH}: CI must install it (apt-get install -y --no-install-recommends libreoffice-calc-nogui) to open the exports in a spreadsheet.`,
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'spreadsheet-apps-'));
    profileDir = join(dir, 'profile');
    await mkdir(sourcePath(''), { recursive: true });

    snapshot = sampleSnapshot();
    // The day before: without the hostile newcomer and the second contact as it was, and with a leaver
    // named like a formula split by `;`, so that every kind of change row carries hostile names.
    const before = sampleSnapshot();
    const [first, second] = before.contacts;
    if (!first || !second) throw new Error('the sample has contacts');
    second.phone = '000';
    before.contacts = [
      ...before.contacts.filter((contact) => contact.first_name !== 'Ann;=1+1'),
      { ...first, id: fixtureId(199), first_name: 'Leaver;=1+1', last_name: '\t=cmd' },
    ];
    const changes = await diffSnapshots(previousFromSnapshot(before), snapshot);
    const quality = assessQuality(snapshot, []);
    const reports = reportFiles(changes, quality);

    const customerId = formulaCustomer(snapshot).id;
    const customerContacts = snapshot.contacts.filter((contact) => contact.customer_id === customerId);
    await csvExporter.write(snapshot, sourcePath('contacts.csv'));
    await writeFile(sourcePath('customer.csv'), contactsToCsv(customerContacts));
    for (const report of reports.filter((file) => file.name.endsWith('.csv'))) {
      await writeFile(sourcePath(report.name), [...report.content()].join(''));
    }
    await writeFile(sourcePath('unsafe.csv'), UNSAFE_CSV);
    await xlsxExporter.write(snapshot, sourcePath('contacts.xlsx'));

    csvFiles = [
      { name: 'contacts.csv', ids: snapshot.contacts.map((contact) => contact.id) },
      { name: 'customer.csv', ids: customerContacts.map((contact) => contact.id) },
      {
        name: CHANGES_CSV_FILE,
        ids: [...changes.contacts.added, ...changes.contacts.removed, ...changes.contacts.changed].map(
          (ref) => ref.id,
        ),
      },
      { name: QUALITY_CSV_FILE, ids: quality.findings.map((finding) => finding.id) },
    ];
    expect(csvFiles.every((file) => file.ids.length > 0)).toBe(true);

    // One start of LibreOffice per reading converts every file: each start costs a second or more.
    const sources = [...csvFiles.map((file) => sourcePath(file.name)), sourcePath('unsafe.csv')];
    const runs = [
      ...READINGS.map((reading) => ({ label: reading.label, csv: reading.import, files: sources })),
      { label: 'as text', csv: AS_TEXT, files: sources },
      { label: 'xlsx', csv: undefined, files: [sourcePath('contacts.xlsx')] },
    ];
    for (const [index, run] of runs.entries()) {
      const outDir = join(dir, `out-${index}`);
      const outputs = await convertToXlsx({ files: run.files, outDir, profileDir, csv: run.csv });
      converted.set(run.label, new Map(run.files.map((file, k) => [basename(file), outputs[k] ?? ''])));
    }
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe.each(READINGS)('read $label', ({ label }) => {
    test('shows no formula in any CSV', async () => {
      for (const file of csvFiles) {
        const workbook = await readWorkbook(convertedPath(label, file.name));
        expect(formulaCells(workbook), file.name).toEqual([]);
      }
    });

    test('shows every contact of every CSV', async () => {
      for (const file of csvFiles) {
        const texts = allCells(await readWorkbook(convertedPath(label, file.name))).map(
          ({ cell }) => cell.text,
        );
        for (const contactId of file.ids) {
          expect(
            texts.some((text) => text.includes(contactId)),
            `${contactId} in ${file.name}`,
          ).toBe(true);
        }
      }
    });
  });

  test.each(READINGS.filter((reading) => reading.import.separator !== ','))(
    'splits nothing into a number or a date when read $label, so phones and ids stay as written',
    async ({ label, import: reading }) => {
      for (const file of csvFiles) {
        const workbook = await readWorkbook(convertedPath(label, file.name));
        const typed = allCells(workbook).filter(
          ({ cell }) => cell.type === ExcelJS.ValueType.Number || cell.type === ExcelJS.ValueType.Date,
        );
        expect(
          typed.map(({ where, cell }) => `${where}: ${cell.text}`),
          file.name,
        ).toEqual([]);
      }
      // Joined back with the separator it was split on, the sheet holds each phone and id as written.
      const worksheet = firstSheet(await readWorkbook(convertedPath(label, 'contacts.csv')));
      const text = grid(worksheet, worksheet.columnCount)
        .map((row) => row.join(reading.separator).replace(new RegExp(`${reading.separator}+$`), ''))
        .join('\n');
      const [header = [], ...rows] = parse(await readFile(sourcePath('contacts.csv')), {
        bom: true,
      }) as string[][];
      const columns = ['Phone', 'Contact ID', 'CRM ID', 'ERP ID', 'Accounting ID'].map((name) =>
        header.indexOf(name),
      );
      for (const row of rows) {
        for (const column of columns) {
          const written = lf(row[column] ?? '');
          // Split off a quoted field, LibreOffice shows its quotes doubled, as in the file.
          expect(
            text.includes(written) || text.includes(written.replaceAll('"', '""')),
            `${header[column]} ${JSON.stringify(written)}`,
          ).toBe(true);
        }
      }
    },
  );

  test('reads every cell of every CSV exactly as written, with "Format quoted field as text"', async () => {
    for (const file of csvFiles) {
      const written = (parse(await readFile(sourcePath(file.name)), { bom: true }) as string[][]).map((row) =>
        row.map(lf),
      );
      const workbook = await readWorkbook(convertedPath('as text', file.name));
      expect(formulaCells(workbook), file.name).toEqual([]);
      expect(grid(firstSheet(workbook), written[0]?.length ?? 0), file.name).toEqual(written);
    }
  });

  test('keeps phones and ids as text, with a leading apostrophe only where the formula rule put one', async () => {
    const workbook = await readWorkbook(convertedPath('as text', 'contacts.csv'));
    const rows = grid(firstSheet(workbook), CONTACT_COLUMNS.length);
    const column = (header: string) => rows.map((row) => row[rows[0]?.indexOf(header) ?? -1]);
    // In the snapshot's order, as buildSnapshot sorts it: by customer name, then last and first name.
    expect(column('Phone')).toEqual([
      'Phone',
      "'+33 6 12 34 56 78;'+1",
      '0612345678',
      '',
      "'\n'+1 (555) 010-9999",
      "'-2+3",
      "'+33 6 12 34 56 78",
      "'+33612345678",
      '',
    ]);
    const row = (firstName: string) => 1 + snapshot.contacts.findIndex((c) => c.first_name === firstName);
    expect([column('CRM ID')[row('Jean')], column('CRM ID')[row('=1+1')]]).toEqual([
      '000123',
      `'=HYPERLINK("http://evil.example","click")`,
    ]);
    expect(column('ERP ID')[row('Jean')]).toBe('1e5');
    expect(column('Accounting ID')[row('Jean')]).toBe('0012,34');
    expect(column('Contact ID').slice(1)).toEqual(snapshot.contacts.map((contact) => contact.id));
  });

  test('would show the formula of the issue from a CSV that does not quote every field (the check can fail)', async () => {
    const workbook = await readWorkbook(convertedPath(READINGS[1]?.label ?? '', 'unsafe.csv'));
    // "Ann;=1+1","5;=2+2" split on `;`: `=1+1,5` (2.5 in French) and `=2+2`.
    expect(formulaCells(workbook)).toEqual(['unsafe!B2: 1+1,5', 'unsafe!C2: 2+2']);
  });

  test('opens contacts.xlsx with no formula and every value of both sheets as written', async () => {
    const workbook = await readWorkbook(convertedPath('xlsx', 'contacts.xlsx'));
    expect(formulaCells(workbook)).toEqual([]);
    expect(workbook.worksheets.map((worksheet) => worksheet.name)).toEqual(['Contacts', 'Customers']);
    const sheets = [
      {
        name: 'Contacts',
        columns: sheetColumns(CONTACT_COLUMNS, SHEET_LABELS.en, 'UTC'),
        rows: snapshot.contacts,
      },
      {
        name: 'Customers',
        columns: sheetColumns(CUSTOMER_COLUMNS, SHEET_LABELS.en, 'UTC'),
        rows: snapshot.customers,
      },
    ] as const;
    for (const { name, columns, rows } of sheets) {
      const worksheet = workbook.getWorksheet(name);
      if (!worksheet) throw new Error(`no sheet ${name}`);
      const values = rows.map((row) =>
        columns.map((column) => {
          const value = (column.value as (row: unknown) => string | number | null)(row);
          // A date cell, to the minute (what its format shows).
          return column.kind === 'date' && typeof value === 'string'
            ? new Date(value).toISOString().slice(0, 16)
            : cellText(value);
        }),
      );
      expect(grid(worksheet, columns.length), name).toEqual([
        columns.map((column) => column.header),
        ...values,
      ]);
    }
  });
});
