/**
 * What makes a contacts CSV: the csv-stringify options, the header and one contact's record. Pure (type
 * imports only) because two writers share it: `csv.ts` in Node (`contacts.csv`, the per-customer CSVs) and
 * the home page's browser bundle (the CSV of a search, `src/site/client/result-csv.ts`), each with the
 * csv-stringify build for its runtime. One definition, so the two cannot drift apart.
 */
import type { Options } from 'csv-stringify';
import { CONTACT_COLUMNS, type ContactRow } from './export-columns.ts';
import { neutraliseFormula } from './spreadsheet-safety.ts';

/**
 * RFC 4180 with CRLF, UTF-8 with a byte order mark (so Excel reads accents and other scripts). Every field
 * quoted, empty ones included: a spreadsheet that splits a comma file on `;` or tab (LibreOffice, French and
 * German Excel) then keeps a field's `;` and tabs inside one cell instead of starting a new cell there.
 * `quote_record_delimiter` stays explicit: once `record_delimiter` is set, csv-stringify would stop quoting
 * values that hold a bare LF or CR if `quoted` were ever turned off.
 */
export const CSV_OPTIONS = {
  bom: true,
  record_delimiter: 'windows',
  quoted: true,
  quoted_empty: true,
  quote_record_delimiter: true,
} as const satisfies Options;

/** The same, for the pieces of a file after the first. */
export const CSV_OPTIONS_NO_BOM = { ...CSV_OPTIONS, bom: false } as const satisfies Options;

export function headerRecord(): string[] {
  return CONTACT_COLUMNS.map((column) => column.header);
}

/** One contact's cells: the column values, made formula-safe; `null` is an empty cell. */
export function contactRecord(contact: ContactRow): string[] {
  return CONTACT_COLUMNS.map((column) => {
    const value = column.value(contact);
    return value === null ? '' : neutraliseFormula(value);
  });
}

/** A csv-stringify `stringify` from `csv-stringify/sync` (Node) or `csv-stringify/browser/esm/sync`. */
export type Stringify = (records: string[][], options: Options) => string;

/** Rows stringified together: few enough to stay small, enough that csv-stringify's per-call cost vanishes. */
const ROWS_PER_PIECE = 500;

/**
 * The CSV of `contacts` (byte order mark and header first), a few hundred rows per piece; each contact read
 * is counted in `counted.rows`.
 */
export function contactsCsvPieces(
  contacts: Iterable<ContactRow>,
  stringify: Stringify,
  counted: { rows: number } = { rows: 0 },
): Generator<string> {
  return csvPieces(headerRecord(), contacts, contactRecord, stringify, counted);
}

/**
 * A CSV file in pieces of a few hundred rows (byte order mark and `header` first): each item of `items`
 * becomes one record through `record`, as it is reached, and is counted in `counted.rows`.
 */
export function* csvPieces<T>(
  header: string[],
  items: Iterable<T>,
  record: (item: T) => string[],
  stringify: Stringify,
  counted: { rows: number } = { rows: 0 },
): Generator<string> {
  let records: string[][] = [header];
  let options: Options = CSV_OPTIONS;
  for (const item of items) {
    records.push(record(item));
    counted.rows += 1;
    if (records.length === ROWS_PER_PIECE) {
      yield stringify(records, options);
      records = [];
      options = CSV_OPTIONS_NO_BOM;
    }
  }
  if (records.length > 0) yield stringify(records, options);
}
