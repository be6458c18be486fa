/**
 * `contacts.csv`: RFC 4180 (comma, CRLF, double quotes where needed), UTF-8 with a byte order mark so that
 * Excel reads accents and other scripts correctly, one header row, one row per contact in snapshot order.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Options } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import { SnapshotIoError } from '../../shared/errors.ts';
import type { SnapshotContact } from '../../shared/schema.ts';
import { CONTACT_COLUMNS } from './columns.ts';
import type { Exporter } from './index.ts';
import { writeTextFile } from './write-text.ts';

/**
 * `quote_record_delimiter` must be explicit: once `record_delimiter` is set, csv-stringify stops quoting
 * values that hold a bare LF or CR, which splits their row for every reader.
 */
const CSV_OPTIONS = {
  bom: true,
  record_delimiter: 'windows',
  quote_record_delimiter: true,
} as const satisfies Options;

/** The same, for the pieces after the first. */
const CSV_OPTIONS_NO_BOM = { ...CSV_OPTIONS, bom: false } as const satisfies Options;

/** What a spreadsheet may skip before it looks for a formula sign: spaces, invisible characters, controls. */
const IGNORABLE_LEAD = /^[\p{White_Space}\p{Cf}\p{Cc}]+/u;

/**
 * Makes a cell safe to open in a spreadsheet (OWASP "CSV Injection"): a value that a spreadsheet could read
 * as a formula gets a leading `'`. That is a value starting with a tab, CR or LF, or whose first visible
 * character is `=`, `+`, `-` or `@`, including their fullwidth and small forms (`＝`, `﹢`…, which some
 * spreadsheets fold onto the ASCII ones) and behind leading spaces or zero-width characters.
 *
 * Phone numbers are no exception: Excel reads "+33 6 12 34 56 78" as a formula (showing #NULL!) and
 * "+33612345678" as the number 33612345678, dropping the "+". Of the safe forms, "'+33 6 12 34 56 78" is the
 * most readable: every digit stays as sent and the `'` is obviously not part of the number. The other options
 * either are formulas themselves (`="+33…"`), hide characters that break copying and dialling (zero-width
 * prefixes), or change the data (`+` → `00`). The XLSX export shows phones exactly, as typed text cells.
 */
export function neutraliseFormula(value: string): string {
  // Most values start with an ASCII letter or digit, which can neither start a formula nor hide one.
  const first = value.charCodeAt(0);
  if (
    (first >= 0x30 && first <= 0x39) ||
    (first >= 0x41 && first <= 0x5a) ||
    (first >= 0x61 && first <= 0x7a)
  ) {
    return value;
  }
  if (/^[\t\r\n]/.test(value)) {
    return `'${value}`;
  }
  const lead = value.replace(IGNORABLE_LEAD, '').slice(0, 2).normalize('NFKC');
  return /^[=+\-@]/.test(lead) ? `'${value}` : value;
}

function headerRecord(): string[] {
  return CONTACT_COLUMNS.map((column) => column.header);
}

function contactRecord(contact: SnapshotContact): string[] {
  return CONTACT_COLUMNS.map((column) => {
    const value = column.value(contact);
    return value === null ? '' : neutraliseFormula(value);
  });
}

/**
 * The CSV of `contacts` as one string (byte order mark included): for small sets such as one customer's
 * contacts. Same columns, safety and bytes as `contacts.csv`.
 */
export function contactsToCsv(contacts: Iterable<SnapshotContact>): string {
  return stringifySync([headerRecord(), ...Array.from(contacts, contactRecord)], CSV_OPTIONS);
}

/**
 * Any small table as CSV text with the same format and formula safety as `contacts.csv`: for the reports.
 * `null` is an empty cell.
 */
export function tableToCsv(header: readonly string[], rows: readonly (readonly (string | null)[])[]): string {
  const safe = rows.map((row) => row.map((value) => (value === null ? '' : neutraliseFormula(value))));
  return stringifySync([[...header], ...safe], CSV_OPTIONS);
}

/** Rows stringified together: few enough to stay small, enough that csv-stringify's per-call cost vanishes. */
const ROWS_PER_PIECE = 500;

/** The CSV of `contacts` (byte order mark and header first), a few hundred rows per piece. */
function* csvPieces(contacts: Iterable<SnapshotContact>, counted: { rows: number }): Generator<string> {
  let records: string[][] = [headerRecord()];
  let options: Options = CSV_OPTIONS;
  for (const contact of contacts) {
    records.push(contactRecord(contact));
    counted.rows += 1;
    if (records.length === ROWS_PER_PIECE) {
      yield stringifySync(records, options);
      records = [];
      options = CSV_OPTIONS_NO_BOM;
    }
  }
  if (records.length > 0) yield stringifySync(records, options);
}

/**
 * Writes the CSV of `contacts` to a file path (created or overwritten) or to a writable stream, which is
 * ended when done. Resolves with the number of contacts written; rejects with a `SnapshotIoError`.
 */
export async function writeContactsCsv(
  contacts: Iterable<SnapshotContact>,
  out: NodeJS.WritableStream | string,
): Promise<{ rows: number }> {
  const counted = { rows: 0 };
  try {
    if (typeof out === 'string') await writeTextFile(out, csvPieces(contacts, counted));
    else await pipeline(Readable.from(csvPieces(contacts, counted)), out);
  } catch (error) {
    const target = typeof out === 'string' ? out : 'the output stream';
    throw new SnapshotIoError(`Could not write the CSV export to ${target}: ${reason(error)}`, {
      cause: error,
    });
  }
  return counted;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `contacts.csv`. */
export const csvExporter: Exporter = {
  fileName: 'contacts.csv',
  mediaType: 'text/csv; charset=utf-8',
  write: (snapshot, path) => writeContactsCsv(snapshot.contacts, path),
};
