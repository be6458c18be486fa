/**
 * The reports as published files: JSON for tools and the site, CSV for people (same safety as contacts.csv).
 */

import type { ChangesHistory, ChangesReport, QualityReport } from '../../shared/schema.ts';
import { tableToCsv } from '../exporters/csv.ts';
import type { ExtraFile } from '../publish.ts';

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
    content: `${JSON.stringify(history, null, 1)}\n`,
  };
}

export function reportFiles(changes: ChangesReport, quality: QualityReport): ExtraFile[] {
  const changeRows = [
    ...changes.contacts.added.map((ref) => [
      'added',
      ref.name,
      ref.customer_name,
      '',
      ref.id,
      ref.customer_id,
    ]),
    ...changes.contacts.removed.map((ref) => [
      'removed',
      ref.name,
      ref.customer_name,
      '',
      ref.id,
      ref.customer_id,
    ]),
    ...changes.contacts.changed.map((ref) => [
      'changed',
      ref.name,
      ref.customer_name,
      ref.fields.join(', '),
      ref.id,
      ref.customer_id,
    ]),
  ];
  const qualityRows = [
    ...quality.findings.map((finding) => [
      finding.kind,
      finding.name,
      finding.customer_name,
      finding.detail,
      finding.id,
      finding.customer_id,
    ]),
    // Fields published empty or mapped from another shape: the record is kept, the field is named here.
    ...quality.normalised.map((field) => [
      'normalised_field',
      '',
      '',
      `${field.entity}${field.entity === 'address' ? ` ${field.id}` : ''}: ${field.field} (${field.type}) ${field.action === 'mapped' ? 'mapped' : 'published empty'}: ${field.reason}`,
      field.entity === 'contact' ? field.id : '',
      field.entity === 'customer' ? field.id : '',
    ]),
  ];
  const columns = ['Contact', 'Customer'];
  const ids = ['Contact ID', 'Customer ID'];
  return [
    ...jsonAndCsv(
      CHANGES_FILE,
      changes,
      CHANGES_CSV_FILE,
      ['Change', ...columns, 'Fields', ...ids],
      changeRows,
    ),
    ...jsonAndCsv(
      QUALITY_FILE,
      quality,
      QUALITY_CSV_FILE,
      ['Finding', ...columns, 'Detail', ...ids],
      qualityRows,
    ),
  ];
}

/** One report as its two files: the JSON the site reads, and its rows as CSV for a spreadsheet. */
function jsonAndCsv(
  jsonName: string,
  report: unknown,
  csvName: string,
  header: readonly string[],
  rows: readonly (readonly (string | null)[])[],
): ExtraFile[] {
  return [
    {
      name: jsonName,
      mediaType: 'application/json',
      rows: rows.length,
      content: `${JSON.stringify(report, null, 1)}\n`,
    },
    {
      name: csvName,
      mediaType: 'text/csv; charset=utf-8',
      rows: rows.length,
      content: tableToCsv(header, rows),
    },
  ];
}
