/**
 * `contacts.csv`: RFC 4180 (comma, CRLF, every field in double quotes), UTF-8 with a byte order mark so that
 * Excel reads accents and other scripts correctly, one header row, one row per contact in snapshot order.
 * The format is `toSafeCsv`'s in `src/shared/spreadsheet-safety.ts` (which the browser uses), written here with
 * csv-stringify, which streams it.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify as stringifySync } from 'csv-stringify/sync';
import {
  CSV_OPTIONS,
  contactRecord,
  contactsCsvPieces,
  csvPieces,
  headerRecord,
} from '../../shared/csv-format.ts';
import { SnapshotIoError } from '../../shared/errors.ts';
import type { SnapshotContact } from '../../shared/schema/published.ts';
import { neutraliseFormula } from '../../shared/spreadsheet-safety.ts';
import type { Exporter } from './index.ts';
import { writeTextFile } from './write-text.ts';

/**
 * The CSV of `contacts` as one string (byte order mark included): for small sets such as one customer's
 * contacts. Same columns, safety and bytes as `contacts.csv`.
 */
export function contactsToCsv(contacts: Iterable<SnapshotContact>): string {
  return stringifySync([headerRecord(), ...Array.from(contacts, contactRecord)], CSV_OPTIONS);
}

/**
 * Any table as CSV text with the same format and formula safety as `contacts.csv`: for the reports. `null` is
 * an empty cell.
 */
export function tableToCsv(header: readonly string[], rows: Iterable<readonly (string | null)[]>): string {
  return [...tableCsvPieces(header, rows)].join('');
}

/** The same in pieces of a few hundred rows, each row made safe as it is reached: for large tables. */
export function tableCsvPieces(
  header: readonly string[],
  rows: Iterable<readonly (string | null)[]>,
): Generator<string> {
  const safe = (row: readonly (string | null)[]) =>
    row.map((value) => (value === null ? '' : neutraliseFormula(value)));
  return csvPieces([...header], rows, safe, stringifySync);
}

/** The CSV of `contacts` (byte order mark and header first), a few hundred rows per piece. */
function contactPieces(contacts: Iterable<SnapshotContact>, counted: { rows: number }): Generator<string> {
  return contactsCsvPieces(contacts, stringifySync, counted);
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
    if (typeof out === 'string') await writeTextFile(out, contactPieces(contacts, counted));
    else await pipeline(Readable.from(contactPieces(contacts, counted)), out);
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
