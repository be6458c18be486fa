/**
 * `contacts.xlsx`: a "Contacts" sheet (one row per contact, the columns of `columns.ts`) and a "Customers"
 * sheet, written with exceljs' streaming writer, one committed row at a time.
 *
 * Every value is a typed cell: text is a text cell, never a formula and never a number, so phones
 * ("+33 6 12 34 56 78"), ids with leading zeros ("000123") and formula-like text ("=1+1") show exactly as sent
 * and are not evaluated; no `'` prefix is needed, unlike in CSV. Timestamps with a time zone become date
 * cells in UTC, so they sort and filter as dates. Text cells go through shared strings (`t="s"`), Excel's
 * own form for text: exceljs' other form, `t="str"`, is the type of formula results. That costs memory that
 * grows with the distinct strings (about 150 MB more at 100,000 contacts) and a little time, not file size.
 *
 * The cells and document properties are deterministic (dated `generated_at`); the zip's entry timestamps are
 * not, as exceljs stamps them with the current time, so two writes differ in a few bytes.
 */
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { SnapshotIoError } from '../errors.ts';
import { CONTACT_COLUMNS, type Column, type ColumnKind, CUSTOMER_COLUMNS } from './columns.ts';
import type { Exporter } from './index.ts';

/** Excel's limit on the characters of one cell; longer text is cut (Excel would otherwise repair the file). */
export const MAX_CELL_CHARS = 32_767;

/** How date cells show: the date and time in UTC, which the cell holds. */
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"';

/** Rows written between two pauses that let the zip stream drain, keeping memory flat. */
const ROWS_PER_PAUSE = 1_000;

const CREATOR = 'Qwoty contacts directory';

/** An ISO 8601 date-time that names its offset: the only timestamps that map to one instant, on any machine. */
const ZONED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Characters XML 1.0 cannot carry, besides the C0 controls exceljs already drops. */
const NOT_XML = /[\uFFFE\uFFFF]/g;

/**
 * Text as an XLSX cell holds it: well-formed UTF-16 (a lone surrogate becomes U+FFFD), line breaks as LF
 * (the XML reader would turn a bare CR into LF anyway), no characters XML cannot carry, at most
 * `MAX_CELL_CHARS` characters, and a literal `_xHHHH_` escaped as `_x005F_xHHHH_`, since spreadsheets
 * read `_xHHHH_` in cell text as the character U+HHHH.
 */
export function toCellText(value: string): string {
  let text = value.toWellFormed().replace(/\r\n?/g, '\n').replace(NOT_XML, '\uFFFD');
  if (text.length > MAX_CELL_CHARS) {
    text = text.slice(0, MAX_CELL_CHARS);
    text = text.toWellFormed() === text ? text : text.slice(0, -1);
  }
  return text.replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1');
}

/** A zoned ISO 8601 timestamp as the instant it names; `null` when the text is not one. */
export function toCellDate(value: string): Date | null {
  if (!ZONED_TIMESTAMP.test(value)) {
    return null;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

type CellValue = string | number | Date | null;

function toCell(kind: ColumnKind, value: string | number | null): CellValue {
  if (typeof value !== 'string') {
    return value;
  }
  return (kind === 'timestamp' ? toCellDate(value) : null) ?? toCellText(value);
}

function addSheet<Row>(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: readonly Column<Row, string | number | null>[],
  rowCount: number,
): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ key: column.key, width: column.width }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: rowCount + 1, column: columns.length } };
  const header = sheet.addRow(columns.map((column) => column.header));
  header.font = { bold: true };
  header.commit();
  return sheet;
}

async function writeRows<Row>(
  sheet: ExcelJS.Worksheet,
  columns: readonly Column<Row, string | number | null>[],
  rows: readonly Row[],
  throwIfFailed: () => void,
): Promise<void> {
  let written = 0;
  for (const row of rows) {
    const cells = sheet.addRow(columns.map((column) => toCell(column.kind, column.value(row))));
    columns.forEach((column, index) => {
      if (column.kind === 'timestamp') {
        const cell = cells.getCell(index + 1);
        if (cell.value instanceof Date) {
          cell.numFmt = DATE_FORMAT;
        }
      }
    });
    cells.commit();
    written += 1;
    if (written % ROWS_PER_PAUSE === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      throwIfFailed();
    }
  }
  sheet.commit();
}

/** `contacts.xlsx`. */
export const xlsxExporter: Exporter = {
  fileName: 'contacts.xlsx',
  mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  async write(snapshot, path) {
    const fail = (error: unknown): SnapshotIoError => {
      const reason = error instanceof Error ? error.message : String(error);
      return new SnapshotIoError(`Could not write the XLSX export to ${path}: ${reason}`, { cause: error });
    };
    // Opening first makes a missing folder fail before exceljs starts; the stream then owns the handle.
    const handle = await open(path, 'w').catch((error: unknown) => {
      throw fail(error);
    });
    const file = handle.createWriteStream();
    // exceljs only listens for file errors once it commits: until then they are kept here and end the rows.
    let failure: { error: unknown } | undefined;
    file.on('error', (error) => {
      failure ??= { error };
    });
    const throwIfFailed = (): void => {
      if (failure) {
        throw failure.error;
      }
    };
    const closed = new Promise<void>((resolve) => file.once('close', resolve));
    try {
      const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
        stream: file,
        useStyles: true,
        useSharedStrings: true,
      });
      const generatedAt = new Date(snapshot.generated_at);
      workbook.creator = CREATOR;
      workbook.lastModifiedBy = CREATOR;
      workbook.created = generatedAt;
      workbook.modified = generatedAt;

      const contacts = addSheet(workbook, 'Contacts', CONTACT_COLUMNS, snapshot.contacts.length);
      await writeRows(contacts, CONTACT_COLUMNS, snapshot.contacts, throwIfFailed);
      const customers = addSheet(workbook, 'Customers', CUSTOMER_COLUMNS, snapshot.customers.length);
      await writeRows(customers, CUSTOMER_COLUMNS, snapshot.customers, throwIfFailed);
      throwIfFailed();
      // A file that fails now closes without 'finish', which exceljs would wait for forever.
      await Promise.race([workbook.commit(), closed]);
      await closed;
      throwIfFailed();
    } catch (error) {
      file.destroy();
      await closed;
      throw fail(failure?.error ?? error);
    }
    return { rows: snapshot.contacts.length };
  },
};
