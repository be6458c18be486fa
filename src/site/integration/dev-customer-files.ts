/**
 * `/customers/<id>/contacts.csv` and `/contacts.vcf` in `astro dev`. A build writes them after Astro
 * (`src/site/build/customer-files.ts`; they are not routes), so without this the dev server answered each
 * customer page's download links with a 404. Made by the same function as the build's, from the live
 * snapshot of `dataDir()`: a published snapshot never changes, so its directory is kept until another one
 * is published. Anything else falls through to Astro.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSnapshot, resolveSnapshotDir } from '../../pipeline/read-snapshot.ts';
import { customerFiles } from '../build/customer-files.ts';
import { buildDirectory, type Directory } from '../build/directory.ts';
import type { Text } from '../shared/text.ts';
import { VCARD_MEDIA_TYPE } from '../shared/vcard.ts';

const FILE = /^\/customers\/([^/]+)\/(contacts\.csv|contacts\.vcf)$/;
const MEDIA_TYPES: Record<string, string> = {
  'contacts.csv': 'text/csv; charset=utf-8',
  'contacts.vcf': VCARD_MEDIA_TYPE,
};

/** A connect-style middleware serving each customer's files from the snapshot in `dataDir()`. */
export function customerFilesMiddleware(dataDir: () => string, text: () => Text) {
  let loaded: { dir: string; lang: string; directory: Promise<Directory> } | undefined;
  const directoryOf = async (): Promise<Directory> => {
    const dir = await resolveSnapshotDir(dataDir());
    const words = text();
    if (loaded?.dir !== dir || loaded.lang !== words.lang) {
      loaded = {
        dir,
        lang: words.lang,
        directory: readSnapshot(dir).then((read) => buildDirectory(read, words)),
      };
    }
    return loaded.directory;
  };
  return (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void => {
    const match = FILE.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (!match || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    const [, id = '', name = ''] = match;
    directoryOf().then(
      (directory) => {
        const entry = directory.byId.get(decodeURIComponent(id));
        const file = entry && customerFiles(entry, text()).find((item) => item.path.endsWith(`/${name}`));
        if (!file) {
          next();
          return;
        }
        const body = Buffer.from(file.body());
        response.writeHead(200, {
          'content-type': MEDIA_TYPES[name] ?? 'application/octet-stream',
          'content-length': body.length,
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      // No snapshot, or not a readable one: the pages say why; a file is a plain 404.
      () => next(),
    );
  };
}
