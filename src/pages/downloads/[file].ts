import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { APIRoute, GetStaticPaths } from 'astro';
import { SnapshotIoError } from '../../lib/errors.ts';
import { type Download, getDirectory } from '../../site/directory.ts';

/** The whole-snapshot files, copied byte for byte from the snapshot folder read by the loader. */
export const getStaticPaths = (async () => {
  const directory = await getDirectory();
  return directory.downloads.map((file) => ({
    params: { file: file.name },
    props: { file, dir: directory.dir },
  }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ file: Download; dir: string }> = async ({ props }) => {
  const path = join(props.dir, props.file.name);
  const body = await readFile(path);
  if (body.length !== props.file.bytes) {
    throw new SnapshotIoError(
      `The snapshot file ${path} changed while the site was built; run \`npm run build\` again.`,
    );
  }
  return new Response(body, { headers: { 'Content-Type': props.file.mediaType } });
};
