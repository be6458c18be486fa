import type { APIRoute, GetStaticPaths } from 'astro';
import { propsKey } from '../../site/build/cache-key.ts';
import { getDirectory } from '../../site/build/directory.ts';
import { getExportFiles } from '../../site/build/export-data.ts';
import type { SearchFile } from '../../site/build/search-data.ts';

/**
 * The export files, loaded by the home page only when someone downloads the CSV of a search. Each is its
 * props' body, so the incremental build reuses it while that body is unchanged.
 */
export const getStaticPaths = (async () => {
  const files = getExportFiles(await getDirectory());
  return files.all.map((file) => ({
    params: { file: file.name },
    props: { file },
    cacheKey: propsKey({ file }),
  }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: SearchFile }> = ({ props }) => new Response(props.file.body);
