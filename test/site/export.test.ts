import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contactsToCsv } from '../../src/pipeline/exporters/csv.ts';
import { readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import type { SnapshotContact } from '../../src/shared/schema/published.ts';
import { buildDirectory, type Directory } from '../../src/site/build/directory.ts';
import {
  EXPORT_FOLDER,
  getExportFiles,
  provideExportFolder,
  writeExportFiles,
} from '../../src/site/build/export-data.ts';
import { getSearchFiles, IDS_PER_FILE } from '../../src/site/build/search-data.ts';
import { copyText, fileName, leftOutMessage, mailRecipients } from '../../src/site/client/export-actions.ts';
import { loadExportRows, resultCsv } from '../../src/site/client/result-csv.ts';
import { allMatches, matchingEmails, type ResultSet } from '../../src/site/client/result-export.ts';
import { splitCsvRecords } from '../../src/site/shared/csv-records.ts';
import { type ExportRecord, fromExportRecord, toExportRecord } from '../../src/site/shared/export-rows.ts';
import { mailtoHref } from '../../src/site/shared/format.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { parseIdLines } from '../../src/site/shared/search.ts';
import { contactAt, indexLines, searchIndex } from '../../src/site/shared/search-index.ts';
import { createText } from '../../src/site/shared/text.ts';
import { sampleSnapshot } from '../../src/testing/sample-snapshot.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

const en = createText('en', MESSAGES.en);

let dir: string;
/** More contacts than two export chunks hold. */
let large: Directory;
let sample: SnapshotContact[];

/** A directory read back from a published fixture, as the site build reads it. */
async function publishedDirectory(name: string, snapshot = makeSnapshot({ contacts: 10 })) {
  const dataDir = join(dir, name);
  await writePublishedSnapshot(dataDir, snapshot);
  return buildDirectory(await readSnapshot(dataDir), en);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qwoty-export-'));
  large = await publishedDirectory('large', makeSnapshot({ contacts: 2 * IDS_PER_FILE + 500 }));
  sample = sampleSnapshot().contacts;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The contacts of a directory in the order of its search data. */
const inDirectoryOrder = (directory: Directory) => directory.customers.flatMap((entry) => entry.contacts);

describe('resultCsv', () => {
  test('writes the bytes contactsToCsv writes, for the hostile sample in any order', () => {
    const reordered = [...sample].reverse();
    expect(resultCsv(reordered).join('')).toBe(contactsToCsv(reordered));
    expect(resultCsv(sample).join('')).toBe(contactsToCsv(sample));
  });

  test('writes the byte order mark and the header alone when nothing matches', () => {
    expect(resultCsv([]).join('')).toBe(contactsToCsv([]));
    expect(contactsToCsv([]).startsWith('\uFEFF"Customer",')).toBe(true);
  });

  test('gives the same row for a contact that went through its export record as JSON', () => {
    const readBack = sample.map((contact) => {
      const record: ExportRecord = JSON.parse(JSON.stringify(toExportRecord(contact)));
      return fromExportRecord(record);
    });
    expect(resultCsv(readBack).join('')).toBe(contactsToCsv(sample));
  });
});

describe('getExportFiles', () => {
  test('cuts the contacts into chunks like the id chunks, in the order of the search data', () => {
    const files = getExportFiles(large);
    const search = getSearchFiles(large, en);
    expect(files.chunks).toHaveLength(3);
    expect(files.chunks).toHaveLength(search.ids.length);
    files.chunks.forEach((chunk, index) => {
      const records: ExportRecord[] = JSON.parse(chunk.body);
      expect(records.map(([id]) => id)).toEqual(parseIdLines(search.ids[index]?.body ?? ''));
    });
    expect(JSON.parse(files.index.body)).toEqual({
      per: IDS_PER_FILE,
      files: files.chunks.map((chunk) => chunk.name),
    });
  });

  test('names each file by its content, so that a new snapshot never mixes with an old one', async () => {
    const snapshot = makeSnapshot({ contacts: 10 });
    const before = getExportFiles(await publishedDirectory('before', snapshot));
    const [first, ...others] = snapshot.contacts;
    if (!first) throw new Error('no contact');
    const changed = { ...snapshot, contacts: [{ ...first, id_erp: 'ERP-NEW' }, ...others] };
    const after = getExportFiles(await publishedDirectory('after', changed));
    expect(after.chunks[0]?.name).not.toBe(before.chunks[0]?.name);
    expect(after.index.name).not.toBe(before.index.name);
    expect(after.chunks[0]?.name).toMatch(/^rows-0\.[0-9a-f]{12}\.json$/);
  });
});

describe('writeExportFiles', () => {
  /** Every file written into `<outDir>/export/`, by name. */
  async function written(directory: Directory, name: string): Promise<Map<string, string>> {
    const outDir = join(dir, name);
    await writeExportFiles(directory, outDir);
    const folder = join(outDir, EXPORT_FOLDER);
    const names = await readdir(folder);
    return new Map(
      await Promise.all(
        names.map(async (file) => [file, await readFile(join(folder, file), 'utf8')] as const),
      ),
    );
  }

  test('writes the files the home page named, each body hashing to its name', async () => {
    const named = getExportFiles(large);
    const files = await written(large, 'out-named');
    expect([...files.keys()].sort()).toEqual(named.all.map((file) => file.name).sort());
    for (const [name, body] of files) {
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      expect(name).toMatch(new RegExp(`\\.${hash}\\.json$`));
    }
    const index = JSON.parse(files.get(named.index.name) ?? '{}');
    expect(index.files).toEqual(named.chunks.map((chunk) => chunk.name));
    // Made again when read, the same bytes every time.
    expect(named.chunks.map((chunk) => chunk.body)).toEqual(
      named.chunks.map((chunk) => files.get(chunk.name)),
    );
  });

  test('writes the same files when nothing named them before (a home page copied from the cache)', async () => {
    const fresh = await publishedDirectory('unnamed', makeSnapshot({ contacts: 2 * IDS_PER_FILE + 500 }));
    const unnamed = await written(fresh, 'out-unnamed');
    expect(unnamed).toEqual(await written(large, 'out-again'));
    expect(
      getExportFiles(fresh)
        .all.map((file) => file.name)
        .sort(),
    ).toEqual([...unnamed.keys()].sort());
  });
  test('writes each chunk as the home page names it in a build, and then only the index', async () => {
    const directory = await publishedDirectory('spooled', makeSnapshot({ contacts: IDS_PER_FILE + 10 }));
    const outDir = join(dir, 'out-spooled');
    const folder = join(outDir, EXPORT_FOLDER);
    provideExportFolder(outDir);
    let named: ReturnType<typeof getExportFiles>;
    try {
      named = getExportFiles(directory);
    } finally {
      provideExportFolder(undefined);
    }
    expect((await readdir(folder)).sort()).toEqual(named.chunks.map((chunk) => chunk.name).sort());
    for (const chunk of named.chunks)
      expect(await readFile(join(folder, chunk.name), 'utf8')).toBe(chunk.body);
    // Not made and written again after Astro: a mark put in a chunk stays.
    const first = join(folder, named.chunks[0]?.name ?? '');
    await writeFile(first, 'left as it was');
    await writeExportFiles(directory, outDir);
    expect(await readFile(first, 'utf8')).toBe('left as it was');
    expect((await readdir(folder)).sort()).toEqual(named.all.map((file) => file.name).sort());
    // Another folder than the one they were written into gets every file.
    const elsewhere = await written(directory, 'out-elsewhere');
    expect([...elsewhere.keys()].sort()).toEqual(named.all.map((file) => file.name).sort());
    expect(elsewhere.get(named.chunks[0]?.name ?? '')).toBe(named.chunks[0]?.body);
  });
});

describe('loadExportRows', () => {
  let server: Server;
  let base: string;
  const requested: string[] = [];

  beforeAll(async () => {
    const files = new Map(getExportFiles(large).all.map((file) => [`/export/${file.name}`, file.body]));
    server = createServer((request, response) => {
      const path = request.url ?? '';
      requested.push(path);
      const body = files.get(path);
      response.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
      response.end(body ?? '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('fetches only the chunks the positions are in, and gives those contacts in the order asked', async () => {
    const indexUrl = `${base}/export/${getExportFiles(large).index.name}`;
    const positions = [2 * IDS_PER_FILE + 7, 3, 2 * IDS_PER_FILE, 5, IDS_PER_FILE - 1];
    requested.length = 0;
    const rows = await loadExportRows(indexUrl, positions);
    const chunkNames = getExportFiles(large).chunks.map((chunk) => `/export/${chunk.name}`);
    expect(requested.sort()).toEqual([new URL(indexUrl).pathname, chunkNames[0], chunkNames[2]].sort());
    const contacts = inDirectoryOrder(large);
    const expected = positions.map((position) => contacts[position] as SnapshotContact);
    expect(rows.map((row) => row.id)).toEqual(expected.map((contact) => contact.id));
    expect(resultCsv(rows).join('')).toBe(contactsToCsv(expected));
  });

  test('rejects with the URL and the status when a file is missing', async () => {
    await expect(loadExportRows(`${base}/export/index.gone.json`, [0])).rejects.toThrow(
      `${base}/export/index.gone.json answered 404`,
    );
  });
});

describe('allMatches and matchingEmails', () => {
  const searchSet = (query: string, filters = { role: -1, country: -1 }): ResultSet => {
    const files = getSearchFiles(large, en);
    const header = JSON.parse(files.header.body);
    const index = indexLines(header, files.contacts.body.split('\n').filter(Boolean));
    const found = searchIndex(index, query, filters, 50);
    return { index, query, filters, filterNames: [], total: found.total };
  };

  test('lists every match, as many as announced, in the order of the results shown', () => {
    const set = searchSet('a');
    const all = allMatches(set);
    expect(set.total).toBeGreaterThan(50);
    expect(all).toHaveLength(set.total);
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(0, 50)).toEqual(searchIndex(set.index, 'a', set.filters, 50).hits);
  });

  test("gives each matching contact's email once, whatever its case, skipping contacts without one", () => {
    const set = searchSet('', { role: -1, country: 0 });
    const { addresses: emails, leftOut } = matchingEmails(set);
    const all = allMatches(set)
      .map((position) => contactAt(set.index, position).email.toLowerCase())
      .filter((email) => email && mailtoHref(email));
    const expected = new Set(all);
    // The fixture shares some addresses between contacts ("Team1@Example.com"), and leaves some out.
    expect(all.length).toBeGreaterThan(expected.size);
    expect(allMatches(set).length).toBeGreaterThan(all.length);
    expect(emails.map((email) => email.toLowerCase())).toEqual([...expected]);
    expect(emails.some((email) => email.startsWith('Team'))).toBe(true);
    // The fixture's unlinkable addresses are set aside, not copied.
    expect(leftOut.length).toBeGreaterThan(0);
    expect(leftOut.every((email) => mailtoHref(email) === null)).toBe(true);
  });
});

describe('splitCsvRecords', () => {
  test('splits a CSV into its records byte for byte, line breaks and quotes inside values included', () => {
    const records = splitCsvRecords(contactsToCsv(sample));
    expect(records).toHaveLength(sample.length + 1);
    sample.forEach((contact, index) => {
      expect(`${records[0]}${records[index + 1]}`).toBe(contactsToCsv([contact]));
    });
  });

  test('keeps a last record that has no line break', () => {
    expect(splitCsvRecords('a,b\r\n"x\r\ny",z')).toEqual(['a,b\r\n', '"x\r\ny",z']);
  });
});

describe('mailRecipients', () => {
  test('keeps each address once, trimmed, in order, whatever its case, and skips empty ones', () => {
    expect(mailRecipients(['b@x.io', null, ' A@x.io ', '', 'a@X.io', undefined, 'B@x.io', 'c@x.io'])).toEqual(
      {
        addresses: ['b@x.io', 'A@x.io', 'c@x.io'],
        leftOut: [],
      },
    );
  });

  test('leaves out, once each, the values a mailto: link would not carry, as mailtoHref does', () => {
    const values = [
      'a@x.com, evil@y.com',
      'ok@x.com',
      'ann@example.com?bcc=spy@evil.example',
      'ann@example.com;-1',
      ' A@X.com, evil@y.com ',
      'not an address',
    ];
    const { addresses, leftOut } = mailRecipients(values);
    expect(addresses).toEqual(['ok@x.com']);
    expect(leftOut).toEqual([
      'a@x.com, evil@y.com',
      'ann@example.com?bcc=spy@evil.example',
      'ann@example.com;-1',
      'not an address',
    ]);
    for (const value of values) expect(addresses.includes(value.trim())).toBe(mailtoHref(value) !== null);
  });
});

describe('leftOutMessage', () => {
  test('names the first ten values left out, then how many more', () => {
    const text = createText('en', MESSAGES.en);
    expect(leftOutMessage(['a@x.com, evil@y.com'], text)).toBe(
      'Left out 1 value that is not one address a mail client can take as it is: "a@x.com, evil@y.com".',
    );
    const many = Array.from({ length: 13 }, (_, n) => `v${n}`);
    const message = leftOutMessage(many, text);
    expect(message).toContain('"v9" and 3 more.');
    expect(message).not.toContain('"v10"');
  });
});

describe('copyText', () => {
  test('rejects in the words of the page where the browser gives no clipboard', async () => {
    // Node has a `navigator` without a clipboard, as a browser has outside a secure context.
    expect(globalThis.navigator.clipboard).toBeUndefined();
    await expect(copyText('a@example.com', createText('fr', MESSAGES.fr))).rejects.toThrow(
      /^ce navigateur ne donne pas accès au presse-papiers$/,
    );
  });
});

describe('fileName', () => {
  test.each([
    [['contacts', 'Jean Dupont', 'buyer', 'DE'], 'csv', 'contacts-jean-dupont-buyer-de.csv'],
    [['contacts', '', '', ''], 'csv', 'contacts.csv'],
    [['Zoë Ñúñez'], 'vcf', 'zoe-nunez.vcf'],
    [['محمد الفارسي'], 'vcf', 'محمد-الفارسي.vcf'],
    [['<script>alert(1)</script>'], 'vcf', 'script-alert-1-script.vcf'],
    [['../../etc/passwd'], 'vcf', 'etc-passwd.vcf'],
    [['  '], 'vcf', 'contacts.vcf'],
    [['x'.repeat(100)], 'csv', `${'x'.repeat(60)}.csv`],
  ])('makes %j into a .%s named %s', (parts, extension, expected) => {
    expect(fileName(parts, extension)).toBe(expected);
  });
});
