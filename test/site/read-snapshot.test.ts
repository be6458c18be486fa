import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { writeJson } from '../../src/pipeline/exporters/json.ts';
import { CONTACTS_CHUNK_BYTES, readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import { formatOf, snapshotFormat } from '../../src/pipeline/snapshot-format.ts';
import { ExitCode, SnapshotIoError } from '../../src/shared/errors.ts';
import { type Manifest, type Snapshot, SnapshotSchema } from '../../src/shared/schema/published.ts';
import {
  ChangesHistorySchema,
  ChangesReportSchema,
  QualityReportSchema,
} from '../../src/shared/schema/reports.ts';
import {
  makePreviousSnapshot,
  makeRejects,
  makeSnapshot,
  markupContact,
  writePublishedSnapshot,
} from '../../src/testing/site-fixture.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'qwoty-read-'));
});

async function expectSnapshotError(pattern: RegExp): Promise<void> {
  const error = await readSnapshot(dataDir).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SnapshotIoError);
  expect(error).toHaveProperty('exitCode', ExitCode.io);
  expect(String((error as Error).message)).toMatch(pattern);
  expect(String((error as Error).message)).toMatch(/run `npm run fetch`/);
}

describe('readSnapshot', () => {
  test('returns the manifest and the parsed snapshot of the live folder behind `current`', async () => {
    const snapshot = makeSnapshot({ contacts: 20 });
    const dir = await writePublishedSnapshot(dataDir, snapshot);
    const loaded = await readSnapshot(dataDir);
    expect(loaded.dir).toBe(dir);
    expect(loaded.snapshot.contacts).toHaveLength(20);
    expect(markupContact(loaded.snapshot).first_name).toBe('<script>alert(1)</script>');
    expect(loaded.manifest.files.map((file) => file.name)).toContain('contacts.json');
  });

  test('parses the change and quality reports the manifest lists', async () => {
    const snapshot = makeSnapshot({ contacts: 30 });
    await writePublishedSnapshot(dataDir, snapshot, {
      previous: makePreviousSnapshot(snapshot, { removed: 4 }),
      rejects: makeRejects(2),
    });
    const { changes, quality } = await readSnapshot(dataDir);
    expect(changes?.previous_generated_at).toBe('2026-01-14T03:00:00.000Z');
    expect(changes?.contacts.removed).toHaveLength(4);
    expect(changes?.contacts.changed.map((change) => change.fields)).toEqual([
      ['email', 'phone'],
      ['address_ids', 'addresses', 'role'],
      ['first_name'],
    ]);
    expect(changes?.customers.added).toHaveLength(1);
    expect(quality?.totals.contacts).toBe(30);
    expect(quality?.totals.rejected).toBe(2);
    expect(quality?.rejected[0]).not.toHaveProperty('record');
  });

  test('returns the reports of a first run with everything counted as added and no lists', async () => {
    await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 10 }));
    const { changes } = await readSnapshot(dataDir);
    expect(changes?.previous_generated_at).toBeNull();
    expect(changes?.totals.added).toBe(10);
    expect(changes?.contacts.added).toEqual([]);
  });

  test('returns null reports for a snapshot published before reports existed', async () => {
    await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }), { reports: false });
    const loaded = await readSnapshot(dataDir);
    expect(loaded.snapshot.contacts).toHaveLength(5);
    expect(loaded.changes).toBeNull();
    expect(loaded.quality).toBeNull();
  });

  test('throws when a listed report from another publisher does not have the shape of its schema', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await replaceFile(dir, 'quality.json', `${JSON.stringify({ schema_version: 1, totals: {} })}\n`);
    await editManifest(dir, (manifest) => {
      manifest.format = 'w0-an-older-publisher';
    });
    await expectSnapshotError(/quality\.json does not have the expected shape/);
  });

  test('reads a flat folder when there is no `current` link', async () => {
    await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 3 }), { flat: true });
    const loaded = await readSnapshot(dataDir);
    expect(loaded.snapshot.contacts).toHaveLength(3);
  });

  test('keeps reading the folder it resolved when `current` is swapped afterwards', async () => {
    const one = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 4 }));
    const first = await readSnapshot(dataDir);
    const two = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 6 }));
    expect(first.dir).toBe(one);
    expect((await readSnapshot(dataDir)).dir).toBe(two);
  });

  test('throws a SnapshotIoError saying what to do when there is no snapshot', async () => {
    await expectSnapshotError(/There is no snapshot in .*manifest\.json/);
  });

  test('throws when the data folder does not exist', async () => {
    dataDir = join(dataDir, 'missing');
    await expectSnapshotError(/There is no snapshot in/);
  });

  test('throws when `current` points nowhere', async () => {
    await symlink('.snapshots/gone', join(dataDir, 'current'));
    await mkdir(join(dataDir, '.snapshots'));
    await expectSnapshotError(/no snapshot|current/);
  });

  test('throws when the snapshot holds no contacts', async () => {
    await writePublishedSnapshot(dataDir, { ...makeSnapshot({ contacts: 1 }), contacts: [] });
    await expectSnapshotError(/holds no contacts/);
  });

  test('throws when a file does not match the hash in the manifest', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    const csv = join(dir, 'contacts.csv');
    const text = await readFile(csv, 'utf8');
    await writeFile(csv, text.replace('example', 'exampla'));
    await expectSnapshotError(/contacts\.csv does not match the SHA-256/);
  });

  test('throws when a file has another size than the manifest says', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await writeFile(join(dir, 'contacts.xlsx'), 'short');
    await expectSnapshotError(/contacts\.xlsx has 5 bytes but manifest\.json says/);
  });

  test('throws when a file listed in the manifest is missing', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await rename(join(dir, 'rejects.json'), join(dir, 'rejects.old'));
    await expectSnapshotError(/rejects\.json listed in manifest\.json is missing/);
  });

  test('throws when contacts.json from a publisher without a format does not have the snapshot shape', async () => {
    const snapshot = makeSnapshot({ contacts: 2 });
    const dir = await writePublishedSnapshot(dataDir, {
      ...snapshot,
      schema_version: 2,
    } as unknown as typeof snapshot);
    await editManifest(dir, (manifest) => {
      delete manifest.format;
    });
    await expectSnapshotError(/does not have the expected shape .*schema_version/);
  });

  test('throws when manifest.json is not JSON', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 2 }));
    await rm(join(dir, 'manifest.json'));
    await writeFile(join(dir, 'manifest.json'), '{ nope');
    await expectSnapshotError(/manifest\.json is not valid JSON/);
  });
});

describe('readSnapshot and the publisher that wrote it', () => {
  test("trusts its own publisher's files without parsing them with the schemas again", async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).format).toBe(snapshotFormat());
    // A report of the wrong shape with its right hash: only a check by the schema would refuse it.
    await replaceFile(dir, 'quality.json', `${JSON.stringify({ schema_version: 1, totals: {} })}\n`);
    const loaded = await readSnapshot(dataDir);
    expect(loaded.trusted).toBe(true);
    expect(loaded.quality).toEqual({ schema_version: 1, totals: {} });
  });

  test.each([
    ['names another format (an older or newer publisher)', 'w0-0123456789abcdef'],
    ['has no format (a publisher from before it, or a hand-made manifest)', undefined],
  ])('parses every file with the schemas when the manifest %s', async (_, format) => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await editManifest(dir, (manifest) => {
      manifest.format = format;
    });
    expect((await readSnapshot(dataDir)).trusted).toBe(false);
    await replaceFile(dir, 'quality.json', `${JSON.stringify({ schema_version: 1, totals: {} })}\n`);
    await expectSnapshotError(/quality\.json does not have the expected shape/);
  });

  test('reads the same values trusted as parsed with the schemas, hostile records and reports included', async () => {
    const snapshot = makeSnapshot({ contacts: 120 });
    const dir = await writePublishedSnapshot(dataDir, snapshot, {
      previous: makePreviousSnapshot(snapshot, { removed: 4 }),
      rejects: makeRejects(3),
    });
    const trusted = await readSnapshot(dataDir);
    await editManifest(dir, (manifest) => {
      delete manifest.format;
    });
    const parsed = await readSnapshot(dataDir);
    expect(trusted.trusted).toBe(true);
    expect(parsed.trusted).toBe(false);
    // What the publisher writes is exactly what the schemas make of it: nothing stripped, defaulted or
    // transformed on the way back, so skipping them changes no value the site is built from.
    expect(trusted.snapshot).toStrictEqual(parsed.snapshot);
    expect(trusted.changes).toStrictEqual(parsed.changes);
    expect(trusted.quality).toStrictEqual(parsed.quality);
    expect(trusted.history).toStrictEqual(parsed.history);
    expect(trusted.snapshot.contacts).toHaveLength(120);
  });

  test.each(['contacts.json', 'quality.json'])(
    'throws a SnapshotIoError (exit 6) when a trusted %s does not match its SHA-256',
    async (name) => {
      const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
      const bytes = await readFile(join(dir, name));
      // Same size, one bit of one byte flipped: only the hash can tell.
      const middle = Math.floor(bytes.length / 2);
      bytes.writeUInt8(bytes.readUInt8(middle) ^ 1, middle);
      await writeFile(join(dir, name), bytes);
      await expectSnapshotError(new RegExp(`${name.replace('.', '\\.')} does not match the SHA-256`));
    },
  );

  test('throws a SnapshotIoError (exit 6) when a trusted contacts.json has another size', async () => {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await writeFile(join(dir, 'contacts.json'), '{}');
    await expectSnapshotError(/contacts\.json has 2 bytes but manifest\.json says/);
  });
});

describe('readSnapshot of a trusted contacts.json, read a record at a time', () => {
  const FETCH_FIRST = 'run `npm run fetch` (or `npm run demo`) first';

  /** `contacts.json` as the exporter writes `snapshot`. */
  async function jsonText(snapshot: Snapshot): Promise<string> {
    const file = join(dataDir, `${Math.random().toString(36).slice(2)}.json`);
    await writeJson(snapshot, file);
    const text = await readFile(file, 'utf8');
    await rm(file);
    return text;
  }

  /**
   * A snapshot whose `contacts.json` spans three of the loader's chunks: values that look like line ends
   * (escaped, or the separators U+2028 and U+2029 that JSON leaves as they are), and one record longer than
   * a chunk, made of 4-byte emoji, so that a chunk ends inside one of them.
   */
  async function hostileSnapshot(): Promise<{ snapshot: Snapshot; text: string }> {
    for (let pad = 0; pad < 4; pad += 1) {
      const snapshot = makeSnapshot({ contacts: 60 });
      const [customer] = snapshot.customers;
      const [breaks, long, accents] = snapshot.contacts;
      if (!customer || !breaks || !long || !accents) throw new Error('The fixture is too small');
      customer.name = 'Société \u2028 Générale \u2029 "Ñúñez"\n';
      breaks.first_name = 'Line\nbreak \u2028 and \u2029 separators, \\n escaped, "quoted",\r\n}';
      long.last_name = `${'x'.repeat(pad)}${'😀'.repeat(700_000)}`;
      accents.first_name = 'Élodie € 😀 ,\n] }';
      const text = await jsonText(snapshot);
      const bytes = Buffer.from(text);
      // A continuation byte of UTF-8 first in a chunk: the chunk before it ended inside a character.
      const split = (at: number) => ((bytes[at] ?? 0) & 0xc0) === 0x80;
      if (split(CONTACTS_CHUNK_BYTES) && split(2 * CONTACTS_CHUNK_BYTES)) return { snapshot, text };
    }
    throw new Error('No padding puts an emoji across the chunks');
  }

  /** Publishes a snapshot, then puts `text` in its contacts.json, listed with its size and SHA-256. */
  async function publishContacts(text: string): Promise<string> {
    const dir = await writePublishedSnapshot(dataDir, makeSnapshot({ contacts: 5 }));
    await replaceFile(dir, 'contacts.json', text);
    return dir;
  }

  async function readError(): Promise<SnapshotIoError> {
    const error = await readSnapshot(dataDir).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect(error).toHaveProperty('exitCode', ExitCode.io);
    return error as SnapshotIoError;
  }

  test('reads the value parsing the whole file makes, hostile values, emoji across chunks and a record longer than a chunk included', async () => {
    const { snapshot, text } = await hostileSnapshot();
    const dir = await publishContacts(text);
    const loaded = await readSnapshot(dataDir);
    const whole = JSON.parse(await readFile(join(dir, 'contacts.json'), 'utf8'));
    expect(loaded.trusted).toBe(true);
    expect(loaded.snapshot).toStrictEqual(whole);
    expect(loaded.snapshot).toStrictEqual(snapshot);
    // Key for key, in the same order: the pages and the exports list fields as the object holds them.
    expect(Object.keys(loaded.snapshot)).toStrictEqual(Object.keys(whole));
    expect(Object.keys(loaded.snapshot.contacts[0] ?? {})).toStrictEqual(Object.keys(whole.contacts[0]));
    const longLine = text.split('\n').find((line) => line.includes('😀😀'));
    expect(Buffer.byteLength(longLine ?? '')).toBeGreaterThan(CONTACTS_CHUNK_BYTES);
    expect(loaded.snapshot.contacts[0]?.first_name).toContain('\u2028');
  });

  test.each([
    ['indented by another writer', (snapshot: Snapshot) => `${JSON.stringify(snapshot, null, 2)}\n`],
    ['with two records on one line', (_: Snapshot, text: string) => text.replace('},\n{"id"', '},{"id"')],
    ['with a line after its end', (_: Snapshot, text: string) => `${text}\n`],
    ['with Windows line ends', (_: Snapshot, text: string) => text.replaceAll('\n', '\r\n')],
  ])('reads a trusted contacts.json %s, in another layout, as parsing it whole does', async (_, layout) => {
    const snapshot = makeSnapshot({ contacts: 30 });
    const text = layout(snapshot, await jsonText(snapshot));
    await publishContacts(text);
    const loaded = await readSnapshot(dataDir);
    expect(loaded.trusted).toBe(true);
    expect(loaded.snapshot).toStrictEqual(JSON.parse(text));
    expect(loaded.snapshot).toStrictEqual(snapshot);
  });

  test.each([
    ['one byte of a value changed', (text: string) => text.replace('😀😀😀', '😀😁😀')],
    ['one separator changed', (text: string) => text.replace('},\n{"id"', '};\n{"id"')],
  ])(
    'throws the SHA-256 sentence (exit 6), and no data, for a trusted contacts.json with %s mid-file',
    async (_, damage) => {
      const { text } = await hostileSnapshot();
      const dir = await publishContacts(text);
      const damaged = damage(text);
      expect(Buffer.byteLength(damaged)).toBe(Buffer.byteLength(text));
      expect(damaged).not.toBe(text);
      await writeFile(join(dir, 'contacts.json'), damaged);
      expect((await readError()).message).toBe(
        `The snapshot file ${join(dir, 'contacts.json')} does not match the SHA-256 in manifest.json, so the snapshot is damaged; ${FETCH_FIRST}.`,
      );
    },
  );

  test('throws the size sentence (exit 6) for a trusted contacts.json cut short', async () => {
    const { text } = await hostileSnapshot();
    const dir = await publishContacts(text);
    const bytes = Buffer.from(text);
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    await writeFile(join(dir, 'contacts.json'), cut);
    expect((await readError()).message).toBe(
      `The snapshot file ${join(dir, 'contacts.json')} has ${cut.length} bytes but manifest.json says ${bytes.length}, so the snapshot is damaged; ${FETCH_FIRST}.`,
    );
  });

  test('throws (exit 6) for a trusted contacts.json cut short whose manifest lists it so', async () => {
    const snapshot = makeSnapshot({ contacts: 30 });
    const text = await jsonText(snapshot);
    await publishContacts(text.slice(0, text.lastIndexOf(']}')));
    expect((await readError()).message).toMatch(/contacts\.json is not valid JSON/);
  });
});

describe('formatOf', () => {
  test('is the same for the same schemas and revision, and changes with either', () => {
    const schemas = [SnapshotSchema, QualityReportSchema];
    expect(formatOf(schemas, 1)).toBe(formatOf([SnapshotSchema, QualityReportSchema], 1));
    expect(formatOf(schemas, 1)).toMatch(/^w1-[0-9a-f]{16}$/);
    expect(formatOf(schemas, 2)).not.toBe(formatOf(schemas, 1));
    const withField = SnapshotSchema.extend({ extra: z.string().optional() });
    expect(formatOf([withField, QualityReportSchema], 1)).not.toBe(formatOf(schemas, 1));
    const looser = SnapshotSchema.extend({ schema_version: z.number() });
    expect(formatOf([looser, QualityReportSchema], 1)).not.toBe(formatOf(schemas, 1));
  });

  test('covers every schema the loader parses with', () => {
    expect(snapshotFormat()).toBe(
      formatOf([SnapshotSchema, ChangesReportSchema, QualityReportSchema, ChangesHistorySchema], 1),
    );
  });
});

/** Replaces a published file and its size and hash in the manifest, as a publisher would have written it. */
async function replaceFile(dir: string, name: string, body: string): Promise<void> {
  await writeFile(join(dir, name), body);
  await editManifest(dir, (manifest) => {
    const entry = manifest.files.find((file) => file.name === name);
    if (!entry) throw new Error(`The manifest does not list ${name}`);
    entry.bytes = Buffer.byteLength(body);
    entry.sha256 = createHash('sha256').update(body).digest('hex');
  });
}

async function editManifest(dir: string, edit: (manifest: Manifest) => void): Promise<void> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest: Manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  edit(manifest);
  await writeFile(manifestPath, JSON.stringify(manifest));
}
