import type { APIRoute, GetStaticPaths } from 'astro';
import { getDirectory } from '../../site/directory.ts';
import { getSearchFiles, type SearchFile } from '../../site/search-data.ts';

/** The search files, loaded by the home page only when someone searches. */
export const getStaticPaths = (async () => {
  const files = getSearchFiles(await getDirectory());
  return files.all.map((file) => ({ params: { file: file.name }, props: { file } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: SearchFile }> = ({ props }) => new Response(props.file.body);
