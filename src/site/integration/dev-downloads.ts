/**
 * `/downloads/<file>` in `astro dev`. A built site has them because `npm run build` copies them from the
 * snapshot (`copyDownloads` in `build-site.ts`; they are not Astro routes), so without this the dev
 * server answered every download link with a 404. Each request reads the live snapshot of `QWOTY_DATA_DIR`
 * again, so a fetch while the dev server runs is picked up; only the files the site offers and the manifest
 * lists are served (`downloadsOf`), never `rejects.json` or the manifest, and anything else falls through
 * to Astro.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { readManifest } from '../../pipeline/publish.ts';
import { resolveSnapshotDir } from '../../pipeline/read-snapshot.ts';
import type { Manifest } from '../../shared/schema/published.ts';
import { downloadsOf } from '../build/directory.ts';

const PREFIX = '/downloads/';

/** A connect-style middleware serving the downloads of the snapshot in `dataDir()`. */
export function downloadsMiddleware(dataDir: () => string) {
  return (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!pathname.startsWith(PREFIX) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(pathname.slice(PREFIX.length));
    } catch {
      next(); // Not a name the manifest could hold ("%E0%A4%A").
      return;
    }
    serve(dataDir(), name, request, response).then(
      (served) => {
        if (!served) next();
      },
      (error: unknown) => {
        // Once the file has started, the only honest answer left is a cut connection.
        if (response.headersSent) response.destroy();
        else next(error);
      },
    );
  };
}

async function serve(
  dataDir: string,
  name: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  let dir: string;
  let manifest: Manifest;
  try {
    dir = await resolveSnapshotDir(dataDir);
    manifest = await readManifest(dir);
  } catch {
    return false; // No snapshot, or not a readable one: the pages say why; a download is a plain 404.
  }
  const file = downloadsOf(manifest).find((download) => download.name === name);
  if (!file) return false;
  response.writeHead(200, { 'content-type': file.media_type, 'content-length': file.bytes });
  if (request.method === 'HEAD') {
    response.end();
    return true;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(path.join(dir, file.name)).on('error', reject).pipe(response).on('finish', resolve);
  });
  return true;
}
