/**
 * The CSV of a search, made in the browser: loaded only when someone asks for it (`import()`), with the
 * csv-stringify build for browsers. Columns, formula safety and options are those of the snapshot's
 * `contacts.csv` (`src/shared/csv-format.ts`), so a row here is byte for byte that contact's row
 * there.
 */
import { stringify } from 'csv-stringify/browser/esm/sync';
import { contactsCsvPieces } from '../../shared/csv-format.ts';
import type { ContactRow } from '../../shared/export-columns.ts';
import { type ExportIndex, type ExportRecord, fromExportRecord } from '../shared/export-rows.ts';

/** The CSV of `rows` (byte order mark and header first), in pieces to hand to a `Blob`. */
export function resultCsv(rows: Iterable<ContactRow>): string[] {
  return [...contactsCsvPieces(rows, stringify)];
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/**
 * The contacts at directory positions `positions`, in that order, fetching from the export files under
 * `indexUrl` only the chunks they are in.
 */
export async function loadExportRows(indexUrl: string, positions: readonly number[]): Promise<ContactRow[]> {
  const index = await fetchJson<ExportIndex>(indexUrl);
  const base = indexUrl.slice(0, indexUrl.lastIndexOf('/') + 1);
  const chunks = [...new Set(positions.map((position) => Math.floor(position / index.per)))];
  const loaded = await Promise.all(
    chunks.map((chunk) => {
      const file = index.files[chunk];
      if (file === undefined) throw new Error(`no export file for contact ${chunk * index.per}`);
      return fetchJson<ExportRecord[]>(`${base}${file}`);
    }),
  );
  const byChunk = new Map(chunks.map((chunk, i) => [chunk, loaded[i] ?? []]));
  return positions.map((position) => {
    const record = byChunk.get(Math.floor(position / index.per))?.[position % index.per];
    if (!record) throw new Error(`no export record for contact ${position}`);
    return fromExportRecord(record);
  });
}
