/**
 * `/customers/<id>/contacts.csv` and `/contacts.vcf`, and the export files `/export/<name>`, in `astro dev`.
 * A build writes them after Astro (`src/site/build/customer-files.ts`, `export-data.ts`; they are not
 * routes), so without this the dev server answered each customer page's download links, and the home page's
 * CSV of a search, with a 404. Made by the same function as the build's, from the live
 * snapshot of `dataDir()`: a published snapshot never changes, so its directory is kept until another one
 * is published. Anything else falls through to Astro.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSnapshot, resolveSnapshotDir } from '../../pipeline/read-snapshot.ts';
import { customerFiles } from '../build/customer-files.ts';
import { buildDirectory, type Directory } from '../build/directory.ts';
import { getExportFiles } from '../build/export-data.ts';
import type { Text } from '../shared/text.ts';
import { VCARD_MEDIA_TYPE } from '../shared/vcard.ts';

const FILE = /^\/customers\/([^/]+)\/(contacts\.csv|contacts\.vcf)$/;
/** Where `writeExportFiles` puts them (`EXPORT_FOLDER`). */
const EXPORT_FILE = /^\/export\/([^/]+\.json)$/;
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
  /** The body and media type of what `pathname` names, or undefined for anything else. */
  const find = (directory: Directory, pathname: string) => {
    const [, exported] = EXPORT_FILE.exec(pathname) ?? [];
    if (exported) {
      const file = getExportFiles(directory).all.find((item) => item.name === exported);
      return file && { body: file.body, type: 'application/json' };
    }
    const [, id = '', name = ''] = FILE.exec(pathname) ?? [];
    const entry = directory.byId.get(decodeURIComponent(id));
    const file = entry && customerFiles(entry, text()).find((item) => item.path.endsWith(`/${name}`));
    return file && { body: file.body(), type: MEDIA_TYPES[name] ?? 'application/octet-stream' };
  };
  return (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const served = FILE.test(pathname) || EXPORT_FILE.test(pathname);
    if (!served || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    directoryOf().then(
      (directory) => {
        const file = find(directory, pathname);
        if (!file) {
          next();
          return;
        }
        const body = Buffer.from(file.body);
        response.writeHead(200, { 'content-type': file.type, 'content-length': body.length });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      // No snapshot, or not a readable one: the pages say why; a file is a plain 404.
      () => next(),
    );
  };
}
