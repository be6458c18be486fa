import type { APIRoute, GetStaticPaths } from 'astro';
import { type GeneratedFile, generatedFilePaths, serveGeneratedFile } from '../../site/build/cache-key.ts';
import { getDirectory } from '../../site/build/directory.ts';
import { getSearchFiles } from '../../site/build/search-data.ts';
import { siteText } from '../../site/build/site-text.ts';

/** The search files, loaded by the home page only when someone searches. */
export const getStaticPaths = (async () =>
  generatedFilePaths(getSearchFiles(await getDirectory(), siteText()).all)) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: GeneratedFile }> = serveGeneratedFile;
