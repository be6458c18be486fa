/**
 * Builds the export files (see `src/site/shared/export-rows.ts`): every contact's CSV fields in chunks cut
 * like the search's id chunks, and an index naming them. Names carry a content hash, as the search files'
 * do, so a browser never mixes two snapshots and they can be cached for ever.
 *
 * They are not Astro routes. As endpoints, Astro turned each body into a response, copied it twice more and
 * hashed its JSON for the cache key, all at once at the end of the render: at 100,000 contacts (29 MB of
 * chunks) that was the build's peak memory, about 80 MB over the rest of the render. In a build, each chunk
 * is written into the site as the home page names it (`provideExportFolder`), and `buildSite()` adds the
 * index after Astro (`writeExportFiles`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
 * `buildSite()` writes the files the home page named, from the same directory (see `site-context.ts`). The
 * folder the chunks are written into as they are named is shared the same way.
 */
const CACHE = Symbol.for('qwoty.export-files');
const FOLDER = Symbol.for('qwoty.export-folder');
type Holder = {
  [CACHE]?: WeakMap<Directory, ExportFiles & { writtenTo?: string }>;
  [FOLDER]?: string | undefined;
};
const holder = globalThis as Holder;
holder[CACHE] ??= new WeakMap<Directory, ExportFiles & { writtenTo?: string }>();
const cache = holder[CACHE];

/**
 * Gives the next build the site folder its export chunks go into as the home page names them, or takes it
 * back (`undefined`). Named, each chunk's body was otherwise dropped and made again after Astro to be written:
 * half a second of every night at 100,000 contacts. Written only while Astro renders pages (into the new
 * folder `buildSite()` made, which Astro leaves as it is), and only in a build: in `astro dev`, each chunk is
 * made when it is asked for.
 */
export function provideExportFolder(outDir: string | undefined): void {
  holder[FOLDER] = outDir === undefined ? undefined : path.join(outDir, EXPORT_FOLDER);
}

/** The export files of a directory, named once; contacts in the search data's order. */
export function getExportFiles(directory: Directory): ExportFiles {
  const cached = cache.get(directory);
  if (cached) return cached;
  const folder = holder[FOLDER];
  if (folder !== undefined) mkdirSync(folder, { recursive: true });
  const chunks: SearchFile[] = [];
  for (const chunk of exportChunks(directory)) {
    if (folder !== undefined) writeFileSync(path.join(folder, chunk.file.name), chunk.body);
    chunks.push(chunk.file);
  }
  return remember(directory, chunks, folder);
}

/**
 * Writes the export files of `directory` into `<outDir>/export/`, as the home page names them: only the index
 * when the chunks were written there as they were named, else each chunk made again as it is written when
 * the home page named them, or made once here, as it is written.
 */
export async function writeExportFiles(directory: Directory, outDir: string): Promise<number> {
  const folder = path.join(outDir, EXPORT_FOLDER);
  await mkdir(folder, { recursive: true });
  let files = cache.get(directory);
  if (!files) {
    const chunks: SearchFile[] = [];
    for (const chunk of exportChunks(directory)) {
      await writeFile(path.join(folder, chunk.file.name), chunk.body);
      chunks.push(chunk.file);
    }
    files = remember(directory, chunks, folder);
  } else if (files.writtenTo !== folder) {
    for (const file of files.chunks) await writeFile(path.join(folder, file.name), file.body);
  }
  await writeFile(path.join(folder, files.index.name), files.index.body);
  return files.all.length;
}

/**
 * The chunks of the export, one at a time: each one's body, and its file, named by that body, whose `body`
 * makes it again when read. The bodies are not kept: the home page names them early in the render, and
 * `buildSite()` writes them after it; kept, the 29 MB of JSON at 100,000 contacts (two-byte strings when a
 * name is not Latin-1: 55 MB of heap) stayed alive through the whole render, its peak memory included.
 */
function* exportChunks(directory: Directory): Generator<{ file: SearchFile; body: string }> {
  const contacts = directory.customers.flatMap((entry) => entry.contacts);
  const bodyAt = (start: number) =>
    JSON.stringify(contacts.slice(start, start + IDS_PER_FILE).map(toExportRecord));
  for (let start = 0, index = 0; start < contacts.length; start += IDS_PER_FILE, index++) {
    const body = bodyAt(start);
    const { name } = named(`rows-${index}`, 'json', body);
    yield {
      file: {
        name,
        get body() {
          return bodyAt(start);
        },
      },
      body,
    };
  }
}

/** The files of `chunks` with their index, kept for the next call with `directory`; `writtenTo`: where the chunks are. */
function remember(directory: Directory, chunks: SearchFile[], writtenTo: string | undefined): ExportFiles {
  const index: ExportIndex = { per: IDS_PER_FILE, files: chunks.map((file) => file.name) };
  const indexFile = named('index', 'json', JSON.stringify(index));
  const files = { index: indexFile, chunks, all: [indexFile, ...chunks] };
  cache.set(directory, writtenTo === undefined ? files : { ...files, writtenTo });
  return files;
}
