import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import siteConfig from '../../astro.config.mjs';
import { contactsToCsv } from '../../src/pipeline/exporters/csv.ts';
import { readManifest } from '../../src/pipeline/publish.ts';
import { readSnapshot, resolveSnapshotDir } from '../../src/pipeline/read-snapshot.ts';
import { buildDirectory } from '../../src/site/build/directory.ts';
import { getExportFiles } from '../../src/site/build/export-data.ts';
import { vcardOf } from '../../src/site/build/vcards.ts';
import { customerFilesMiddleware } from '../../src/site/integration/dev-customer-files.ts';
import { downloadsMiddleware } from '../../src/site/integration/dev-downloads.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import { formatVcards, VCARD_MEDIA_TYPE } from '../../src/site/shared/vcard.ts';
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

describe("each customer's files in astro dev", () => {
  let dir: string;
  let dataDir: string;
  let server: Server;
  let base: string;
  const text = createText('en', MESSAGES.en);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qwoty-dev-customer-files-'));
    dataDir = join(dir, 'data');
    const middleware = customerFilesMiddleware(
      () => dataDir,
      () => text,
    );
    server = createServer((request, response) =>
      middleware(request, response, (error) => {
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

  test('answers 404, not an error, before the first snapshot', async () => {
    expect((await fetch(`${base}/customers/anyone/contacts.csv`)).status).toBe(404);
  });

  test("serves a customer's CSV and vCards as the build writes them, and picks up the next snapshot", async () => {
    for (const contacts of [40, 60]) {
      await writePublishedSnapshot(dataDir, makeSnapshot({ contacts, demo: true }));
      const directory = buildDirectory(await readSnapshot(await resolveSnapshotDir(dataDir)), text);
      const entry = directory.customers[3];
      if (!entry) throw new Error('fixture has no customer 3');
      const csv = await fetch(`${base}/customers/${entry.customer.id}/contacts.csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      // Bytes, not text: `text()` would drop the byte-order mark the CSV starts with.
      expect(Buffer.from(await csv.arrayBuffer())).toEqual(Buffer.from(contactsToCsv(entry.contacts)));
      const vcf = await fetch(`${base}/customers/${entry.customer.id}/contacts.vcf`);
      expect(vcf.headers.get('content-type')).toBe(VCARD_MEDIA_TYPE);
      const roleLabel = (role: string) => text.value('role', role);
      expect(await vcf.text()).toBe(
        formatVcards(entry.contacts.map((contact) => vcardOf(contact, entry.customer.name, roleLabel))),
      );
    }
  });

  test('serves the export files as the build writes them, and nothing under /export/ it does not', async () => {
    const directory = buildDirectory(await readSnapshot(await resolveSnapshotDir(dataDir)), text);
    const files = getExportFiles(directory).all;
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const response = await fetch(`${base}/export/${file.name}`);
      expect(response.status, file.name).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe(file.body);
    }
    for (const path of ['/export/index.000000000000.json', '/export/x/index.json', '/export/']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  test('serves nothing for a customer the snapshot does not hold, nor another file', async () => {
    for (const path of [
      '/customers/nobody/contacts.csv',
      '/customers/x/contacts.json',
      '/customers/x/y/contacts.csv',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });
});
