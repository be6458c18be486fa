import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tableCsvPieces, tableToCsv } from '../src/pipeline/exporters/csv.ts';
import {
  contactsToCsv,
  csvExporter,
  EXPORTERS,
  type Exporter,
  jsonExporter,
  neutraliseFormula,
  writeContactsCsv,
  xlsxExporter,
} from '../src/pipeline/exporters/index.ts';
import { writeJson } from '../src/pipeline/exporters/json.ts';
import { SHEET_LABELS } from '../src/pipeline/exporters/sheet-labels.ts';
import { fitWidths, MAX_CELL_CHARS, sheetColumns, toCellText } from '../src/pipeline/exporters/xlsx.ts';
import { zipBacklog } from '../src/pipeline/exporters/xlsx-workbook.ts';
import { SnapshotIoError } from '../src/shared/errors.ts';
import { CONTACT_COLUMNS, CUSTOMER_COLUMNS, joinAddresses } from '../src/shared/export-columns.ts';
import { type Snapshot, SnapshotSchema } from '../src/shared/schema/published.ts';
import { toSafeCsv } from '../src/shared/spreadsheet-safety.ts';
import { emptySnapshot, sampleSnapshot, syntheticSnapshot } from '../src/testing/sample-snapshot.ts';

const execFileAsync = promisify(execFile);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'exporters-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** A fresh path in the test folder. */
function target(exporter: Exporter): string {
  fileCount += 1;
  return join(dir, `${fileCount}-${exporter.fileName}`);
}

// ---------------------------------------------------------------------------------------------------------
// Independent statements of what each format must hold, used to check what a real parser reads back.

/** A value a spreadsheet could read as a formula, restated from OWASP plus the tricks in the sample. */
const FORMULA_LIKE = /^(?:[\t\r\n]|[\s\u200B\uFEFF"]*[=+\-@＝＋－＠﹦﹢﹣﹫])/u;

/**
 * The same after a `,`, a `;`, a tab or a line break inside a value, where a reader splitting there (or
 * ignoring the quotes) starts a cell.
 */
const FORMULA_AFTER_BREAK = /([,;\t\r\n])(?=[ \u00A0\u200B\uFEFF"]*[=+\-@＝＋－＠﹦﹢﹣﹫])/gu;

/** The CSV cell expected for a column value. */
function csvCell(value: string | null): string {
  if (value === null) {
    return '';
  }
  const text = value.toWellFormed();
  return (FORMULA_LIKE.test(text) ? "'" : '') + text.replace(FORMULA_AFTER_BREAK, "$1'");
}

/** Every field in double quotes, comma-separated, each record ending in CRLF, after the byte order mark. */
const QUOTED_CSV = /^\uFEFF(?:"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*\r\n)+$/u;

/**
 * The cells a reader that ignores quotes finds when it splits the CSV on `separator` and on every line break,
 * with the quotes and spaces it could skip in front of a cell taken off.
 */
function naiveCells(text: string, separator: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .flatMap((line) => line.split(separator))
    .map((cell) => cell.replace(/^[\p{White_Space}\p{Cf}"]+/u, ''));
}

/** The text an XLSX reader gets back for a column value (exceljs drops C0 controls but tab and line breaks). */
function xlsxText(value: string): string {
  return (
    value
      .toWellFormed()
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters under test
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
      // Text cells are inline: Excel decodes their `_xHHHH_` escapes (ST_Xstring), exceljs' reader doesn't.
      .replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1')
  );
}

/** Parses CSV as strictly as spreadsheets split it: any line break outside quotes ends a record. */
function readCsv(bytes: Buffer): string[][] {
  return parse(bytes, { bom: true, record_delimiter: ['\r\n', '\n', '\r'] });
}

async function readXlsx(path: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  return workbook;
}

function sheet(workbook: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const found = workbook.getWorksheet(name);
  if (!found) {
    throw new Error(`no sheet named ${name}`);
  }
  return found;
}

/** Every cell of a sheet as [row, column, cell], empty cells included up to the sheet's size. */
function cells(worksheet: ExcelJS.Worksheet): [number, number, ExcelJS.Cell][] {
  const all: [number, number, ExcelJS.Cell][] = [];
  worksheet.eachRow({ includeEmpty: true }, (row, rowNumber) => {
    row.eachCell({ includeEmpty: true }, (cell, columnNumber) => {
      all.push([rowNumber, columnNumber, cell]);
    });
  });
  return all;
}

// ---------------------------------------------------------------------------------------------------------
// One contract, one reader per format.

interface FormatCase {
  exporter: Exporter;
  /** Reads the file with a real parser and checks it holds `snapshot`, every value, safely. */
  expectHolds(path: string, snapshot: Snapshot): Promise<void>;
  /** What two writes of one snapshot must share: the bytes, or for XLSX (zip timestamps) the cells. */
  fingerprint(path: string): Promise<unknown>;
}

const FORMATS: FormatCase[] = [
  {
    exporter: jsonExporter,
    async expectHolds(path, snapshot) {
      const text = await readFile(path, 'utf8');
      const parsed = SnapshotSchema.parse(JSON.parse(text));
      expect(parsed).toStrictEqual(SnapshotSchema.parse(snapshot));
      // One line for the top-level fields, then one per array bracket and per element.
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(1 + 2 * 2 + snapshot.customers.length + snapshot.contacts.length);
    },
    fingerprint: (path) => readFile(path),
  },
  {
    exporter: csvExporter,
    async expectHolds(path, snapshot) {
      const bytes = await readFile(path);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(
        bytes.toString().startsWith(`\uFEFF${CONTACT_COLUMNS.map((c) => `"${c.header}"`).join(',')}\r\n`),
      ).toBe(true);
      expect(bytes.toString()).toMatch(QUOTED_CSV);
      const [header, ...rows] = readCsv(bytes);
      expect(header).toEqual(CONTACT_COLUMNS.map((column) => column.header));
      expect(rows).toEqual(
        snapshot.contacts.map((contact) => CONTACT_COLUMNS.map((column) => csvCell(column.value(contact)))),
      );
      for (const cell of rows.flat()) {
        expect(cell).not.toMatch(FORMULA_LIKE);
      }
      // Split on `;` or tab as some spreadsheets split a comma file, or on commas by a reader that ignores
      // the quotes, no cell starts a formula either.
      for (const separator of [';', '\t', ',']) {
        for (const cell of naiveCells(bytes.toString(), separator)) {
          expect(cell.normalize('NFKC'), JSON.stringify(separator)).not.toMatch(/^[=+\-@]/);
        }
      }
    },
    fingerprint: (path) => readFile(path),
  },
  {
    exporter: xlsxExporter,
    async expectHolds(path, snapshot) {
      const workbook = await readXlsx(path);
      expect(workbook.worksheets.map((worksheet) => worksheet.name)).toEqual(['Contacts', 'Customers']);
      expect(workbook.created).toEqual(new Date(snapshot.generated_at));

      const contacts = sheet(workbook, 'Contacts');
      expect(contacts.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(contacts.autoFilter).toBe(`A1:O${snapshot.contacts.length + 1}`);
      expect(contacts.rowCount).toBe(snapshot.contacts.length + 1);
      // The sheet's words: English headers, the dates' time zone named, roles and types in words.
      const contactColumns = sheetColumns(CONTACT_COLUMNS, SHEET_LABELS.en, 'UTC');
      expect(contacts.getRow(1).values).toEqual([
        undefined,
        ...contactColumns.map((column) => column.header),
      ]);
      expect(contacts.getRow(1).font).toMatchObject({ bold: true });
      snapshot.contacts.forEach((contact, index) => {
        const row = contacts.getRow(index + 2);
        contactColumns.forEach((column, c) => {
          const value = column.value(contact);
          const cell = row.getCell(c + 1);
          if (value === null) {
            expect(cell.type, `${column.header} of row ${index + 2}`).toBe(ExcelJS.ValueType.Null);
          } else if (column.kind === 'date') {
            // A date-time cell, to the second, in UTC (the English default).
            expect(cell.type, `${column.header} of row ${index + 2}`).toBe(ExcelJS.ValueType.Date);
            const read = (cell.value as Date).getTime();
            expect(Math.abs(read - Date.parse(String(value)))).toBeLessThan(1_000);
          } else {
            // Spaces at either end need an inline rich-text cell, or LibreOffice trims them.
            const text = xlsxText(String(value));
            const edged = /^[\p{White_Space}\p{Cf}]|[\p{White_Space}\p{Cf}]$/u.test(text);
            expect(cell.type, `${column.header} of row ${index + 2}`).toBe(
              edged ? ExcelJS.ValueType.RichText : ExcelJS.ValueType.String,
            );
            expect(cell.text).toBe(text);
          }
        });
      });

      const customers = sheet(workbook, 'Customers');
      expect(customers.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(customers.getRow(1).values).toEqual([
        undefined,
        ...CUSTOMER_COLUMNS.map((column) => column.header),
      ]);
      const customerColumns = sheetColumns(CUSTOMER_COLUMNS, SHEET_LABELS.en, 'UTC');
      expect(customers.rowCount).toBe(snapshot.customers.length + 1);
      snapshot.customers.forEach((customer, index) => {
        const row = customers.getRow(index + 2);
        expect(row.getCell(1).value).toBe(customer.name === null ? null : xlsxText(customer.name));
        expect(row.getCell(3).value).toBe(customer.id);
        expect(row.getCell(7).value).toBe(customer.contact_count);
        const addresses = joinAddresses(customer.addresses);
        expect(row.getCell(8).value).toBe(addresses === null ? null : xlsxText(addresses));
        customerColumns.slice(8).forEach((column, c) => {
          const value = column.value(customer);
          expect(row.getCell(9 + c).text, column.header).toBe(value === null ? '' : xlsxText(String(value)));
        });
      });

      for (const worksheet of workbook.worksheets) {
        for (const [, , cell] of cells(worksheet)) {
          expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
          expect(cell.formula).toBeUndefined();
        }
      }
    },
    async fingerprint(path) {
      const workbook = await readXlsx(path);
      return workbook.worksheets.map((worksheet) =>
        cells(worksheet).map(([row, column, cell]) => [row, column, cell.type, cell.value, cell.numFmt]),
      );
    },
  },
];

describe.each(FORMATS)('$exporter.fileName', ({ exporter, expectHolds, fingerprint }) => {
  test('is one of the published formats', () => {
    expect(EXPORTERS).toContain(exporter);
    expect(exporter.mediaType).toMatch(/^[a-z]+\/[\w.+-]+/);
  });

  test('writes every contact of the hostile sample so that a real parser reads each value back', async () => {
    const snapshot = sampleSnapshot();
    const path = target(exporter);
    await expect(exporter.write(snapshot, path)).resolves.toEqual({ rows: snapshot.contacts.length });
    await expectHolds(path, snapshot);
  });

  test('writes a valid file with only the header when there are no contacts', async () => {
    const snapshot = emptySnapshot();
    const path = target(exporter);
    await expect(exporter.write(snapshot, path)).resolves.toEqual({ rows: 0 });
    await expectHolds(path, snapshot);
  });

  test('writes the same output when given the same snapshot twice', async () => {
    const first = target(exporter);
    const second = target(exporter);
    await exporter.write(sampleSnapshot(), first);
    await exporter.write(sampleSnapshot(), second);
    expect(await fingerprint(second)).toEqual(await fingerprint(first));
  });

  test('overwrites a longer file that is already there', async () => {
    const path = target(exporter);
    await writeFile(path, 'x'.repeat(1_000_000));
    await exporter.write(emptySnapshot(), path);
    await expectHolds(path, emptySnapshot());
  });

  test('rejects with a SnapshotIoError naming the path when the folder does not exist', async () => {
    const path = join(dir, 'missing', exporter.fileName);
    const error = await exporter.write(sampleSnapshot(), path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect(error).toMatchObject({ message: expect.stringContaining(path), cause: { code: 'ENOENT' } });
  });

  test.skipIf(!existsSync('/dev/full'))('rejects with a SnapshotIoError when the disk is full', async () => {
    const error = await exporter
      .write(syntheticSnapshot(2_000), '/dev/full')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect(error).toMatchObject({ cause: { code: 'ENOSPC' } });
  });

  test('rejects with a SnapshotIoError when the path is a folder', async () => {
    await expect(exporter.write(sampleSnapshot(), dir)).rejects.toBeInstanceOf(SnapshotIoError);
  });
});

describe('scale', () => {
  test.each(EXPORTERS)('$fileName writes 20,000 contacts', async (exporter) => {
    const snapshot = syntheticSnapshot(20_000);
    const path = target(exporter);
    await expect(exporter.write(snapshot, path)).resolves.toEqual({ rows: 20_000 });
  });
});

// ---------------------------------------------------------------------------------------------------------
// What is specific to one format.

describe('neutraliseFormula', () => {
  test.each([
    ['=1+1', "'=1+1"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@SUM(1)', "'@SUM(1)"],
    ['\t=1', "'\t'=1"],
    ['\r=1', "'\r'=1"],
    ['\nanything', "'\nanything"],
    ['Ann;=1+1', "Ann;'=1+1"],
    ['5;=2+2', "5;'=2+2"],
    ['a;b;+1;-2;@3', "a;b;'+1;'-2;'@3"],
    ['x\t=cmd', "x\t'=cmd"],
    ['line\n=1+1', "line\n'=1+1"],
    ['line\r\n@SUM(A1)', "line\r\n'@SUM(A1)"],
    ['a; ＝1', "a;' ＝1"],
    ['a;"=1"', 'a;\'"=1"'],
    ['"=1"', '\'"=1"'],
    ['a;\t=1', "a;\t'=1"],
    ['=1;=2', "'=1;'=2"],
    ['a; b', 'a; b'],
    ['0012;34', '0012;34'],
    ['a\tb\nc', 'a\tb\nc'],
    ['a,=1', "a,'=1"],
    ['a,=1+1,', "a,'=1+1,"],
    ['12 rue de la Paix, 75002 Paris', '12 rue de la Paix, 75002 Paris'],
    ['Dupont, -Jr', "Dupont,' -Jr"],
    ['+33 6 12 34 56 78', "'+33 6 12 34 56 78"],
    ['＝1+1', "'＝1+1"],
    ['﹢1', "'﹢1"],
    ['＠x', "'＠x"],
    [' =1+1', "' =1+1"],
    ['\u00A0\u00A0+1', "'\u00A0\u00A0+1"],
    ['\u200B=1', "'\u200B=1"],
    ['\uFEFF-1', "'\uFEFF-1"],
    ['Jean', 'Jean'],
    [' Jean', ' Jean'],
    ['jean=dupont@acme.com', 'jean=dupont@acme.com'],
    ['0612345678', '0612345678'],
    ['000123', '000123'],
    ['', ''],
    ["'already", "'already"],
  ])('turns %j into %j', (value, expected) => {
    expect(neutraliseFormula(value)).toBe(expected);
  });
});

describe('toSafeCsv', () => {
  const contactRows = (snapshot: Snapshot) =>
    snapshot.contacts.map((contact) => CONTACT_COLUMNS.map((column) => column.value(contact)));
  const headers = CONTACT_COLUMNS.map((column) => column.header);

  test.each([
    ['the hostile sample', sampleSnapshot],
    ['no contacts', emptySnapshot],
    ['2,000 plain contacts, several csv-stringify pieces', () => syntheticSnapshot(2_000)],
  ])('writes the same bytes as csv-stringify writes contacts.csv, for %s', async (_, make) => {
    const snapshot = make();
    const path = target(csvExporter);
    await csvExporter.write(snapshot, path);
    expect(Buffer.from(toSafeCsv(headers, contactRows(snapshot)))).toEqual(await readFile(path));
  });

  test('writes the same text as tableToCsv, the reports’ csv-stringify writer, empty cells included', () => {
    const rows = [
      ['added', 'Ann;=1+1 5;=2+2', null, '', '\t=cmd', '+33 6 12 34 56 78'],
      ['changed', '=HYPERLINK("http://evil.example")', 'Zoë "Z"', 'email, phone', '-1', '@SUM(A1)'],
    ];
    const header = [
      'Change',
      'Contact',
      'Customer',
      'Fields',
      'Old and new values',
      'Contact ID',
      'Customer ID',
    ];
    expect(toSafeCsv(header, rows)).toBe(tableToCsv(header, rows));
  });

  test('and the same for a table written in several pieces (a large change report)', () => {
    const rows = Array.from({ length: 1234 }, (_, index) => [
      index % 2 ? 'added' : 'changed',
      `Contact ${index};=${index}+1`,
      index % 7 ? `Customer "${index % 13}"` : null,
    ]);
    const header = ['Change', 'Contact', 'Customer'];
    const pieces = [...tableCsvPieces(header, rows)];
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe(toSafeCsv(header, rows));
    expect(tableToCsv(header, rows)).toBe(toSafeCsv(header, rows));
  });

  test('quotes every field, empty ones included, doubles quotes and neutralises every value', () => {
    expect(
      toSafeCsv(
        ['a', 'b'],
        [
          [null, 'x"y'],
          ['', 'Ann;=1+1'],
        ],
      ),
    ).toBe('\uFEFF"a","b"\r\n"","x""y"\r\n"","Ann;\'=1+1"\r\n');
  });
});

describe('writeJson', () => {
  test('tells each contact with exactly the text of its line in contacts.json', async () => {
    const snapshot = sampleSnapshot();
    const told = new Map<string, string>();
    const path = target(jsonExporter);
    await writeJson(snapshot, path, (contact, text) => told.set(contact.id, text));
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect([...told.keys()]).toEqual(snapshot.contacts.map((contact) => contact.id));
    for (const [id, text] of told) {
      expect(
        lines.filter((line) => line.replace(/,$/, '') === text),
        id,
      ).toHaveLength(1);
    }
    const plain = target(jsonExporter);
    await jsonExporter.write(snapshot, plain);
    expect(await readFile(path)).toEqual(await readFile(plain));
  });
});

describe('writeContactsCsv', () => {
  test('writes the same bytes as contacts.csv and contactsToCsv', async () => {
    const snapshot = sampleSnapshot();
    const path = target(csvExporter);
    await csvExporter.write(snapshot, path);
    const file = await readFile(path);
    expect(Buffer.from(contactsToCsv(snapshot.contacts))).toEqual(file);

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await expect(writeContactsCsv(snapshot.contacts, out)).resolves.toEqual({
      rows: snapshot.contacts.length,
    });
    expect(Buffer.concat(chunks)).toEqual(file);
  });

  test('writes one customer’s contacts from any iterable', () => {
    const snapshot = sampleSnapshot();
    const customerId = snapshot.customers[1]?.id;
    const mine = snapshot.contacts.filter((contact) => contact.customer_id === customerId);
    const [header, ...rows] = readCsv(Buffer.from(contactsToCsv(mine.values())));
    expect(header).toEqual(CONTACT_COLUMNS.map((column) => column.header));
    expect(rows.map((row) => row[9])).toEqual(mine.map((contact) => contact.id));
  });

  test('leaves fields the docs do not list out of the table', () => {
    expect(contactsToCsv(sampleSnapshot().contacts)).not.toContain('should-stay-out-of-tables');
  });
});

describe('toCellText', () => {
  test.each([
    ['line1\r\nline2\rline3', 'line1\nline2\nline3'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    ['not XML \uFFFE', 'not XML \uFFFD'],
    ['_x0041_', '_x005F_x0041_'],
    ['=1+1', '=1+1'],
  ])('turns %j into %j', (value, expected) => {
    expect(toCellText(value)).toBe(expected);
  });

  test('cuts text to Excel’s limit without splitting a character', () => {
    expect(toCellText('a'.repeat(MAX_CELL_CHARS + 10))).toHaveLength(MAX_CELL_CHARS);
    expect(toCellText(`${'a'.repeat(MAX_CELL_CHARS - 1)}👩`)).toBe('a'.repeat(MAX_CELL_CHARS - 1));
  });
});

describe('contacts.xlsx', () => {
  test('leaves exceljs to the worker: a fetch run does not load it on its own thread', async () => {
    // exceljs' code in the main heap kept V8 marking through a 100,000-contact download (1.5 s slower).
    const script = [
      "import { createRequire } from 'node:module';",
      `await import(${JSON.stringify(new URL('../src/pipeline/run-fetch.ts', import.meta.url).href)});`,
      'const loaded = Object.keys(createRequire(import.meta.url).cache);',
      "console.log(JSON.stringify(loaded.filter((file) => file.includes('/node_modules/exceljs/'))));",
    ].join('\n');
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual([]);
    // The check can see exceljs: the worker's module loads it.
    const control = script.replace('run-fetch.ts', 'exporters/xlsx-workbook.ts');
    const { stdout: loaded } = await execFileAsync(process.execPath, ['--input-type=module', '-e', control]);
    expect(JSON.parse(loaded).length).toBeGreaterThan(0);
  });

  test('sees the sheet XML waiting for the zip compressor (the exceljs internals the writer relies on)', async () => {
    const unread = new PassThrough();
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: unread, useSharedStrings: false });
    const sheet = workbook.addWorksheet('Backlog');
    const waiting: number[] = [];
    for (let batch = 0; batch < 5; batch += 1) {
      for (let row = 0; row < 1_000; row += 1)
        sheet.addRow([`row ${batch}.${row}`, 'x'.repeat(100)]).commit();
      await new Promise((resolve) => setImmediate(resolve));
      waiting.push(zipBacklog(sheet));
    }
    // Nothing reads the zip, so the XML can only pile up: the writer would pause on it.
    expect(waiting.at(-1)).toBeGreaterThan(500_000);
    expect(waiting.at(-1)).toBeGreaterThan(waiting[0] ?? 0);
  });

  test('keeps a cell longer than Excel allows readable, cut at the limit', async () => {
    const snapshot = sampleSnapshot();
    const [first] = snapshot.contacts;
    if (!first) {
      throw new Error('the sample has contacts');
    }
    first.last_name = 'x'.repeat(MAX_CELL_CHARS * 2);
    const path = target(xlsxExporter);
    await xlsxExporter.write(snapshot, path);
    const cell = sheet(await readXlsx(path), 'Contacts').getCell('D2');
    expect(cell.value).toBe('x'.repeat(MAX_CELL_CHARS));
  });

  test('writes the same cells with a worker started ahead by prepare(), and with a fresh one', async () => {
    const snapshot = sampleSnapshot();
    const cells = async () => {
      const path = target(xlsxExporter);
      await xlsxExporter.write(snapshot, path);
      const rows: unknown[] = [];
      sheet(await readXlsx(path), 'Contacts').eachRow((row) => {
        rows.push(row.values);
      });
      return rows;
    };
    xlsxExporter.prepare?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ahead = await cells();
    const fresh = await cells();
    expect(ahead).toHaveLength(snapshot.contacts.length + 1);
    expect(ahead).toEqual(fresh);
  });

  test('sets column widths fitted to the content', async () => {
    const path = target(xlsxExporter);
    const snapshot = sampleSnapshot();
    await xlsxExporter.write(snapshot, path);
    const contacts = sheet(await readXlsx(path), 'Contacts');
    const { widths } = fitWidths(sheetColumns(CONTACT_COLUMNS, SHEET_LABELS.en, 'UTC'), snapshot.contacts);
    expect(contacts.columns.map((column) => column.width)).toEqual(widths);
  });
});
