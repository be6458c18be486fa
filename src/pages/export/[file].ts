import type { APIRoute, GetStaticPaths } from 'astro';
import { type GeneratedFile, generatedFilePaths, serveGeneratedFile } from '../../site/build/cache-key.ts';
import { getDirectory } from '../../site/build/directory.ts';
import { getExportFiles } from '../../site/build/export-data.ts';

/** The export files, loaded by the home page only when someone downloads the CSV of a search. */
export const getStaticPaths = (async () =>
  generatedFilePaths(getExportFiles(await getDirectory()).all)) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: GeneratedFile }> = serveGeneratedFile;
