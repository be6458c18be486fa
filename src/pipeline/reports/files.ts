/**
 * The reports as published files: JSON for tools and the site, CSV for people (same safety as contacts.csv).
 */

import type { ChangesHistory, ChangesReport, QualityReport } from '../../shared/schema/reports.ts';
import { tableCsvPieces } from '../exporters/csv.ts';
import type { ExtraFile } from '../publish.ts';
import { jsonPieces } from './json-pieces.ts';
import { qualityCounts } from './quality.ts';

export const CHANGES_FILE = 'changes.json';
export const CHANGES_CSV_FILE = 'changes.csv';
export const QUALITY_FILE = 'quality.json';
export const QUALITY_CSV_FILE = 'quality.csv';
/** The last nights' change summaries, carried forward by each publish (see `history.ts`). */
export const HISTORY_FILE = 'changes-history.json';

/** The history as a published file; its rows are its nights. */
export function historyFile(history: ChangesHistory): ExtraFile {
  return {
    name: HISTORY_FILE,
    mediaType: 'application/json',
    rows: history.nights.length,
    content: () => jsonText(history),
  };
}

export function reportFiles(changes: ChangesReport, quality: QualityReport): ExtraFile[] {
  const { added, removed, changed } = changes.contacts;
  function* changeRows() {
    for (const ref of added) yield ['added', ref.name, ref.customer_name, '', '', ref.id, ref.customer_id];
    for (const ref of removed)
      yield ['removed', ref.name, ref.customer_name, '', '', ref.id, ref.customer_id];
    for (const ref of changed)
      yield [
        'changed',
        ref.name,
        ref.customer_name,
        ref.fields.join(', '),
        // "email: old@example.com → new@example.com; phone: (empty) → +33 6 …"
        (ref.values ?? [])
          .map((value) => `${value.field}: ${value.old ?? '(empty)'} → ${value.new ?? '(empty)'}`)
          .join('; '),
        ref.id,
        ref.customer_id,
      ];
  }
  function* qualityRows() {
    for (const finding of quality.findings)
      yield [
        finding.kind,
        finding.name,
        finding.customer_name,
        finding.detail,
        finding.id,
        finding.customer_id,
      ];
    // Records set aside: the reasons, and the id when it was readable.
    for (const reject of quality.rejected)
      yield [
        'rejected',
        '',
        '',
        `${reject.entity}: ${reject.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
        reject.entity === 'contact' ? (reject.id ?? '') : '',
        reject.entity === 'customer' ? (reject.id ?? '') : '',
      ];
    // Fields published empty or mapped from another shape: the record is kept, the field is named here.
    for (const field of quality.normalised)
      yield [
        'normalised_field',
        '',
        '',
        `${field.entity}${field.entity === 'address' ? ` ${field.id}` : ''}: ${field.field} (${field.type}) ${field.action === 'mapped' ? 'mapped' : 'published empty'}: ${field.reason}`,
        field.entity === 'contact' ? field.id : '',
        field.entity === 'customer' ? field.id : '',
      ];
  }
  const columns = ['Contact', 'Customer'];
  const ids = ['Contact ID', 'Customer ID'];
  return [
    ...jsonAndCsv(
      { json: CHANGES_FILE, csv: CHANGES_CSV_FILE },
      changes,
      ['Change', ...columns, 'Fields', 'Old and new values', ...ids],
      added.length + removed.length + changed.length,
      changeRows,
    ),
    ...jsonAndCsv(
      { json: QUALITY_FILE, csv: QUALITY_CSV_FILE },
      quality,
      ['Finding', ...columns, 'Detail', ...ids],
      // The rows are the quality page's and the home page's total: one count, `qualityCounts`.
      qualityCounts(quality).total,
      qualityRows,
    ),
  ];
}

/**
 * One report as its two files: the JSON the site reads, and its rows as CSV for a spreadsheet. Each is
 * written in pieces as it is made (see `ExtraFile`).
 */
function jsonAndCsv(
  names: { json: string; csv: string },
  report: unknown,
  header: readonly string[],
  rows: number,
  makeRows: () => Iterable<readonly (string | null)[]>,
): ExtraFile[] {
  return [
    { name: names.json, mediaType: 'application/json', rows, content: () => jsonText(report) },
    {
      name: names.csv,
      mediaType: 'text/csv; charset=utf-8',
      rows,
      content: () => tableCsvPieces(header, makeRows()),
    },
  ];
}

/** `JSON.stringify(value, null, 1)` and a newline, in pieces. */
function* jsonText(value: unknown): Generator<string> {
  yield* jsonPieces(value);
  yield '\n';
}
