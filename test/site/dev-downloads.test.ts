import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import siteConfig from '../../astro.config.mjs';
import { readManifest } from '../../src/pipeline/publish.ts';
import { resolveSnapshotDir } from '../../src/pipeline/read-snapshot.ts';
import { downloadsMiddleware } from '../../src/site/integration/dev-downloads.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

describe('downloads in astro dev', () => {
  let dir: string;
  let dataDir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qwoty-dev-downloads-'));
    dataDir = join(dir, 'data');
    // Read at each request, as QWOTY_DATA_DIR is; the folder does not exist until a test publishes into it.
    const middleware = downloadsMiddleware(() => dataDir);
    server = createServer((request, response) =>
      middleware(request, response, (error) => {
        // What Astro would do next: its 404 page, or its error overlay.
        response.statusCode = error ? 500 : 404;
        response.end('not served');
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('is registered in the Astro config', () => {
    const names = siteConfig.integrations
      ?.flat()
      .flatMap((integration) => (integration ? [integration.name] : []));
    expect(names).toContain('qwoty-site');
  });

  test('answers 404, not an error, before the first snapshot', async () => {
    expect((await fetch(`${base}/downloads/contacts.csv`)).status).toBe(404);
  });

  test('serves the published files byte for byte, with their media type', async () => {
    await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 40 }));
    const snapshotDir = await resolveSnapshotDir(dataDir);
    const { files } = await readManifest(snapshotDir);
    for (const name of ['contacts.csv', 'contacts.xlsx', 'contacts.json']) {
      const type = files.find((file) => file.name === name)?.media_type;
      expect(type, name).toBeTruthy();
      const response = await fetch(`${base}/downloads/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(type);
      expect(Buffer.from(await response.arrayBuffer()), name).toEqual(
        await readFile(join(snapshotDir, name)),
      );
    }
  });

  test('serves nothing the site does not offer, nor anything outside the snapshot', async () => {
    for (const path of [
      '/downloads/rejects.json',
      '/downloads/manifest.json',
      '/downloads/..%2Fmanifest.json',
      '/downloads/%2E%2E/%2E%2E/package.json',
      '/downloads/',
      '/downloads/%E0%A4%A',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    const post = await fetch(`${base}/downloads/contacts.csv`, { method: 'POST' });
    expect(post.status).toBe(404);
  });
});
