/**
 * The snapshot's file formats. Each one writes a whole file from a `Snapshot`, streaming, so that 100,000
 * contacts never need one giant string in memory.
 */
import type { Snapshot } from '../../shared/schema/published.ts';
import { csvExporter } from './csv.ts';
import { jsonExporter } from './json.ts';
import { xlsxExporter } from './xlsx.ts';

/** One export format. */
export interface Exporter {
  /** File name inside the snapshot folder, e.g. 'contacts.csv'. */
  readonly fileName: string;
  readonly mediaType: string;
  /**
   * Writes the whole file at `path` (creating/overwriting it), resolving with the number of data rows written.
   * Rejects with a `SnapshotIoError` (the system error as its `cause`) on I/O errors, after closing what it
   * opened; a partly written file may remain.
   */
  write(snapshot: Snapshot, path: string): Promise<{ rows: number }>;
  /**
   * Optional: gets ready for a `write` soon (the XLSX exporter starts its worker thread). Calling it and never
   * writing costs nothing lasting; it never keeps the process alive.
   */
  prepare?(): void;
}

/** Every format the snapshot is published in, `contacts.json` first. */
export const EXPORTERS: readonly Exporter[] = [jsonExporter, csvExporter, xlsxExporter];

export { neutraliseFormula } from '../../shared/spreadsheet-safety.ts';
export { contactsToCsv, csvExporter, writeContactsCsv } from './csv.ts';
export { jsonExporter } from './json.ts';
export { xlsxExporter } from './xlsx.ts';
