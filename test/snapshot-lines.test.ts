import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeJson } from '../src/pipeline/exporters/json.ts';
import { eachSnapshotLine, type SnapshotLinesEnd } from '../src/pipeline/snapshot-lines.ts';
import type { Snapshot } from '../src/shared/schema/published.ts';
import { makeSnapshot } from '../src/testing/site-fixture.ts';

let dir: string;
let snapshot: Snapshot;
/** `contacts.json` as the exporter writes it. */
let written: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qwoty-snapshot-lines-'));
  snapshot = makeSnapshot({ contacts: 40 });
  const [first, second] = snapshot.contacts;
  if (!first || !second) throw new Error('The fixture has fewer than 2 contacts');
  // What could pass for a line break inside a value: escaped, or a character JSON leaves as it is.
  first.first_name = 'Line\nbreak \u2028 and \u2029 separators, \\n and "quotes",\r\n';
  second.last_name = `😀é€ ${'😀'.repeat(30)}`;
  written = await writtenText(snapshot);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writtenText(value: Snapshot): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeJson(value, file);
  return readFile(file, 'utf8');
}

interface Read {
  end: SnapshotLinesEnd;
  head: string[];
  customers: string[];
  contacts: string[];
  bytes: number;
}

async function readLines(text: string | Buffer, chunkBytes?: number, stopAt = -1): Promise<Read> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, text);
  const read: Read = { end: 'read', head: [], customers: [], contacts: [], bytes: 0 };
  const onto = (list: string[]) => (line: string, bytes: Buffer) => {
    // A record's bytes are its text's, separator left out, whatever chunks it was read in.
    list.push(Buffer.from(line).equals(bytes) ? line : `bytes differ: ${bytes.toString('utf8')}`);
    return read.contacts.length !== stopAt;
  };
  read.end = await eachSnapshotLine(file, {
    ...(chunkBytes === undefined ? {} : { chunkBytes }),
    onChunk: (chunk) => {
      read.bytes += chunk.length;
    },
    head: onto(read.head),
    customer: onto(read.customers),
    contact: onto(read.contacts),
  });
  return read;
}

describe('eachSnapshotLine', () => {
  test("hands over the head and each record's JSON text of the exporter's layout, in order", async () => {
    const read = await readLines(written);
    expect(read.end).toBe('read');
    const { customers, contacts, ...head } = snapshot;
    expect(read.head.map((text) => JSON.parse(text))).toStrictEqual([head]);
    expect(read.customers).toStrictEqual(customers.map((customer) => JSON.stringify(customer)));
    expect(read.contacts).toStrictEqual(contacts.map((contact) => JSON.stringify(contact)));
    expect(read.bytes).toBe(Buffer.byteLength(written));
  });

  test.each([1, 2, 3, 5, 7, 64])(
    'hands over the same texts when the file is read %i bytes at a time (every character split somewhere)',
    async (chunkBytes) => {
      const whole = await readLines(written);
      const read = await readLines(written, chunkBytes);
      expect(read).toStrictEqual(whole);
      expect(read.contacts.join('')).not.toContain('\uFFFD');
    },
  );

  test('reads a snapshot with no customers and no contacts', async () => {
    const read = await readLines(await writtenText({ ...snapshot, customers: [], contacts: [] }));
    expect(read).toMatchObject({ end: 'read', customers: [], contacts: [] });
    expect(read.head).toHaveLength(1);
  });

  test('stops when a handler returns false', async () => {
    const read = await readLines(written, undefined, 2);
    expect(read.end).toBe('stopped');
    expect(read.contacts).toHaveLength(2);
  });

  const lines = () => written.split('\n');
  const withLines = (edit: (all: string[]) => void) => {
    const all = lines();
    edit(all);
    return all.join('\n');
  };
  const firstContact = () => lines().indexOf('"contacts":[') + 1;

  test.each([
    ['indented by another writer', () => JSON.stringify(snapshot, null, 2)],
    ['a byte order mark first', () => `\uFEFF${written}`],
    ['another schema version', () => written.replace('{"schema_version":1,', '{"schema_version":2,')],
    [
      'a record without its separator',
      () => withLines((all) => all.splice(firstContact(), 1, (all[firstContact()] ?? '').slice(0, -1))),
    ],
    [
      'a separator after the last record',
      () => withLines((all) => all.splice(all.length - 3, 1, `${all[all.length - 3]},`)),
    ],
    ['a record cut short', () => withLines((all) => all.splice(firstContact(), 1, '{"id":"a",'))],
    ['a line after the end', () => `${written}\n`],
    ['an end cut off', () => written.slice(0, written.lastIndexOf(']}'))],
    ['a file cut in half', () => written.slice(0, written.length / 2)],
    ['an empty file', () => ''],
  ])('reports another layout for %s', async (_, text) => {
    expect((await readLines(text())).end).toBe('other-layout');
  });

  test('leaves it to the parser to find two records on one line (their text is not one JSON value)', async () => {
    const text = withLines((all) =>
      all.splice(firstContact(), 2, `${all[firstContact()]}${all[firstContact() + 1]}`),
    );
    const read = await readLines(text);
    expect(read.contacts).toHaveLength(snapshot.contacts.length - 1);
    expect(() => JSON.parse(read.contacts[0] ?? '')).toThrow(SyntaxError);
  });

  test('rejects with ENOENT for a missing file', async () => {
    await expect(eachSnapshotLine(path.join(dir, 'missing.json'), {})).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
