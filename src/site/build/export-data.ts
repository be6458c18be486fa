/**
 * Builds the export files (see `src/site/shared/export-rows.ts`): every contact's CSV fields in chunks cut
 * like the search's id chunks, and an index naming them. Names carry a content hash, as the search files'
 * do, so a browser never mixes two snapshots and they can be cached for ever.
 */
import { type ExportIndex, toExportRecord } from '../shared/export-rows.ts';
import type { Directory } from './directory.ts';
import { IDS_PER_FILE, named, type SearchFile } from './search-data.ts';

export interface ExportFiles {
  index: SearchFile;
  chunks: SearchFile[];
  /** Every file, for the route that writes them. */
  all: SearchFile[];
}

const cache = new WeakMap<Directory, ExportFiles>();

/** The export files of a directory, built once; contacts in the search data's order. */
export function getExportFiles(directory: Directory): ExportFiles {
  const cached = cache.get(directory);
  if (cached) return cached;
  const contacts = directory.customers.flatMap((entry) => entry.contacts);
  const chunks: SearchFile[] = [];
  for (let start = 0; start < contacts.length; start += IDS_PER_FILE) {
    const records = contacts.slice(start, start + IDS_PER_FILE).map(toExportRecord);
    chunks.push(named(`rows-${chunks.length}`, 'json', JSON.stringify(records)));
  }
  const index: ExportIndex = { per: IDS_PER_FILE, files: chunks.map((file) => file.name) };
  const indexFile = named('index', 'json', JSON.stringify(index));
  const files = { index: indexFile, chunks, all: [indexFile, ...chunks] };
  cache.set(directory, files);
  return files;
}
