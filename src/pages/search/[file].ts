import type { APIRoute, GetStaticPaths } from 'astro';
import { propsKey } from '../../site/build/cache-key.ts';
import { getDirectory } from '../../site/build/directory.ts';
import { getSearchFiles, type SearchFile } from '../../site/build/search-data.ts';
import { siteText } from '../../site/build/site-text.ts';

/**
 * The search files, loaded by the home page only when someone searches. Each is its props' body, so the
 * incremental build reuses it while that body is unchanged.
 */
export const getStaticPaths = (async () => {
  const files = getSearchFiles(await getDirectory(), siteText());
  return files.all.map((file) => ({
    params: { file: file.name },
    props: { file },
    cacheKey: propsKey({ file }),
  }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: SearchFile }> = ({ props }) => new Response(props.file.body);
