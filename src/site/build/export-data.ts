/**
 * Builds the export files (see `src/site/shared/export-rows.ts`): every contact's CSV fields in chunks cut
 * like the search's id chunks, and an index naming them. Names carry a content hash, as the search files'
 * do, so a browser never mixes two snapshots and they can be cached for ever.
 *
 * They are not Astro routes: `buildSite()` writes them after Astro (`writeExportFiles`), as it writes the
 * customers' files. As endpoints, Astro turned each body into a response, copied it twice more and hashed
 * its JSON for the cache key, all at once at the end of the render: at 100,000 contacts (29 MB of chunks)
 * that was the build's peak memory, about 80 MB over the rest of the render.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ExportIndex, toExportRecord } from '../shared/export-rows.ts';
import type { Directory } from './directory.ts';
import { IDS_PER_FILE, named, type SearchFile } from './search-data.ts';

export interface ExportFiles {
  index: SearchFile;
  chunks: SearchFile[];
  /** Every file, for the route that writes them. */
  all: SearchFile[];
}

/** The folder of the site they are served from: `/export/<name>`. */
export const EXPORT_FOLDER = 'export';

/**
 * One cache for every copy of this module: the pages run in Vite's module runner, with their own copy, and
 * `buildSite()` writes the files the home page named, from the same directory (see `site-context.ts`).
 */
const CACHE = Symbol.for('qwoty.export-files');
type Holder = { [CACHE]?: WeakMap<Directory, ExportFiles> };
const holder = globalThis as Holder;
holder[CACHE] ??= new WeakMap<Directory, ExportFiles>();
const cache = holder[CACHE];

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

/** Writes the export files of `directory` into `<outDir>/export/`, as the home page names them. */
export async function writeExportFiles(directory: Directory, outDir: string): Promise<number> {
  const folder = path.join(outDir, EXPORT_FOLDER);
  await mkdir(folder, { recursive: true });
  const { all } = getExportFiles(directory);
  for (const file of all) await writeFile(path.join(folder, file.name), file.body);
  return all.length;
}
