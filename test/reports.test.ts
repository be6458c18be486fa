import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonExporter } from '../src/pipeline/exporters/index.ts';
import { parsePhone } from '../src/pipeline/phone.ts';
import { diffSnapshots, readPreviousSnapshot } from '../src/pipeline/reports/changes.ts';
import { reportFiles } from '../src/pipeline/reports/files.ts';
import { assessQuality, isMalformedEmail } from '../src/pipeline/reports/quality.ts';
import type { Snapshot } from '../src/shared/schema/published.ts';
import { ChangesReportSchema, QualityReportSchema } from '../src/shared/schema/reports.ts';
import { fixtureId } from '../src/testing/records.ts';
import { tinySnapshot } from '../src/testing/tiny-snapshot.ts';

// The memory test below collects garbage on demand.
v8.setFlagsFromString('--expose-gc');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qwoty-reports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function previousOf(snapshot: Snapshot, name = 'prev.json') {
  const file = path.join(dir, name);
  await jsonExporter.write(snapshot, file);
  return readPreviousSnapshot(file);
}

function edited(snapshot: Snapshot, edit: (s: Snapshot) => void): Snapshot {
  const copy = structuredClone(snapshot);
  edit(copy);
  return copy;
}

describe('diffSnapshots', () => {
  test('counts every contact and customer as added on a first run, without listing them', async () => {
    const report = await diffSnapshots(null, tinySnapshot('a'));
    expect(report.previous_generated_at).toBeNull();
    expect(report.contacts).toEqual({ added: [], removed: [], changed: [] });
    expect(report.customers).toEqual({ added: [], removed: [] });
    expect(report.totals).toEqual({
      added: 3,
      removed: 0,
      changed: 0,
      unchanged: 0,
      customers_added: 2,
      customers_removed: 0,
    });
  });

  test('finds nothing between a snapshot and itself read back from contacts.json', async () => {
    const snapshot = tinySnapshot('a');
    const report = await diffSnapshots(await previousOf(snapshot), snapshot);
    expect(report.totals).toMatchObject({ added: 0, removed: 0, changed: 0, unchanged: 3 });
    expect(report.previous_generated_at).toBe(snapshot.generated_at);
  });

  test('names added, removed and changed contacts and the fields that changed', async () => {
    const before = tinySnapshot('a', 4);
    const after = edited(before, (s) => {
      const [first, second] = s.contacts;
      if (!first || !second) throw new Error('fixture too small');
      first.email = 'new@example.test';
      first.role = ['buyer'];
      second.updated_at = '2026-12-01T00:00:00Z';
      s.contacts.splice(2, 1);
      s.contacts.push({ ...first, id: fixtureId(999), first_name: 'Newcomer' });
    });
    const report = ChangesReportSchema.parse(await diffSnapshots(await previousOf(before), after));
    expect(report.contacts.changed).toEqual([
      expect.objectContaining({
        id: before.contacts[0]?.id,
        fields: ['email', 'role'],
        // Each changed field's old and new value, as text.
        values: [
          { field: 'email', old: before.contacts[0]?.email ?? null, new: 'new@example.test' },
          { field: 'role', old: before.contacts[0]?.role.join(', ') || null, new: 'buyer' },
        ],
      }),
    ]);
    expect(report.contacts.added.map((ref) => ref.id)).toEqual([fixtureId(999)]);
    expect(report.contacts.removed.map((ref) => ref.id)).toEqual([before.contacts[2]?.id]);
    expect(report.totals).toMatchObject({ added: 1, removed: 1, changed: 1, unchanged: 2 });
  });

  test('reads again only the old records of changed and removed contacts', async () => {
    const before = tinySnapshot('a', 6);
    const after = edited(before, (s) => {
      Object.assign(s.contacts[0] ?? {}, { phone: '+1 555 0100' });
      s.contacts.splice(5, 1);
    });
    const previous = await previousOf(before);
    const asked: string[] = [];
    const visited: string[] = [];
    const eachRecord = previous?.eachRecord.bind(previous);
    const report = await diffSnapshots(
      previous && {
        ...previous,
        eachRecord: (ids, visit) => {
          asked.push(...ids);
          return (
            eachRecord?.(ids, (id, text) => {
              visited.push(id);
              visit(id, text);
            }) ?? Promise.resolve()
          );
        },
      },
      after,
    );
    const expected = [before.contacts[0]?.id, before.contacts[5]?.id].sort();
    expect(asked.sort()).toEqual(expected);
    expect(visited.sort()).toEqual(expected);
    expect(report.totals).toMatchObject({ changed: 1, removed: 1, unchanged: 4 });
  });

  test('names customers added and removed', async () => {
    const before = tinySnapshot('a');
    const after = edited(before, (s) => {
      s.customers[0] = {
        ...(s.customers[0] as Snapshot['customers'][number]),
        id: fixtureId(77),
        name: 'Brand New',
      };
    });
    const report = await diffSnapshots(await previousOf(before), after);
    expect(report.customers.added).toEqual([{ id: fixtureId(77), name: 'Brand New' }]);
    expect(report.customers.removed).toEqual([
      { id: before.customers[0]?.id, name: before.customers[0]?.name },
    ]);
  });

  test('reads a previous contacts.json written in another layout by parsing it whole', async () => {
    const snapshot = tinySnapshot('a');
    const file = path.join(dir, 'pretty.json');
    await writeFile(file, JSON.stringify(snapshot, null, 2));
    const report = await diffSnapshots(await readPreviousSnapshot(file), snapshot);
    expect(report.totals.unchanged).toBe(3);
  });

  test('hands over ids that do not keep their contacts.json lines alive', async () => {
    // 1,000 contacts whose lines are over 10 kB each (the label is in several fields): over 10 MB of lines. A regular expression's match is a slice of the line it was
    // cut from in V8, so ids kept as map keys by the comparison would keep every line they came from.
    const snapshot = tinySnapshot('x'.repeat(10_000), 1_000);
    const previous = await previousOf(snapshot, 'long-lines.json');
    const gc = runInNewContext('gc') as () => void;
    const kept: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    await previous?.eachRecord(new Set(snapshot.contacts.map((contact) => contact.id)), (id) => {
      kept.push(id);
    });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(kept).toHaveLength(1_000);
    expect(grown).toBeLessThan(2 * 1024 * 1024);
  }, 120_000);

  test('treats a missing previous file as a first run', async () => {
    expect(await readPreviousSnapshot(path.join(dir, 'nope.json'))).toBeNull();
  });
});

describe('assessQuality', () => {
  test.each([
    ['jean.dupont@acme.com', false],
    ['first.last+tag@sub.example.co.uk', false],
    ['no-at-sign.example.com', true],
    ['two@@example.com', true],
    ['spaces in@example.com', true],
    ['user@localhost', true],
  ])('judges the email %s malformed: %s', (email, malformed) => {
    expect(isMalformedEmail(email)).toBe(malformed);
  });

  test('reads a phone longer than any number as no number, in under 100 ms of work', () => {
    // "1", 80 KB of spaces and "a": the unanchored extension pattern that parsing replaced took seconds on it.
    const hostile = `1${' '.repeat(80_000)}a`;
    const before = process.cpuUsage();
    expect(parsePhone(hostile)).toBeNull();
    expect(parsePhone(`+33 6 12 34 56 78${' '.repeat(80_000)}x1`)).toBeNull();
    const { user, system } = process.cpuUsage(before);
    expect((user + system) / 1_000).toBeLessThan(100);
  });

  test('finds missing, malformed and duplicate values and unnamed customers, and counts them', () => {
    const snapshot = edited(tinySnapshot('a', 5), (s) => {
      const c = s.contacts;
      Object.assign(c[0] ?? {}, { email: null, phone: null });
      Object.assign(c[1] ?? {}, { email: 'Dup@Example.test', phone: '+33 1 23 45 67 89' });
      Object.assign(c[2] ?? {}, { email: 'dup@example.test', phone: 'n/a' });
      Object.assign(c[3] ?? {}, { email: 'broken', phone: '+1 555 0100 123', customer_name: null });
      Object.assign(c[4] ?? {}, { email: 'ok@example.test', phone: null });
      // As publish reads them: only 'n/a' cannot be read.
      for (const contact of c) contact.phone_parsed = parsePhone(contact.phone);
    });
    const report = QualityReportSchema.parse(
      assessQuality(snapshot, [
        {
          entity: 'contact',
          index: 7,
          id: null,
          issues: [{ path: 'id', message: 'expected a UUID' }],
          record: {},
        },
      ]),
    );
    expect(report.totals).toEqual({
      contacts: 5,
      missing_email: 0,
      missing_phone: 1,
      missing_email_and_phone: 1,
      malformed_email: 1,
      malformed_phone: 1,
      duplicate_email: 2,
      unnamed_customer: 1,
      stale_customer: 0,
      rejected: 1,
      normalised: 0,
    });
    expect(report.rejected[0]).not.toHaveProperty('record');
  });
});

describe('reportFiles', () => {
  test('writes CSVs that a real parser reads back, with formula-like values neutralised', async () => {
    const snapshot = edited(tinySnapshot('a'), (s) => {
      Object.assign(s.contacts[0] ?? {}, {
        first_name: '=HYPERLINK("http://evil")',
        email: null,
        phone: null,
      });
    });
    const files = reportFiles(await diffSnapshots(null, snapshot), assessQuality(snapshot, []));
    const quality = files.find((file) => file.name === 'quality.csv');
    const text = [...(quality?.content() ?? [])].join('').replace(/^\uFEFF/, '');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(quality?.rows ?? -1);
    expect(rows[0]).toMatchObject({
      Finding: 'missing_email_and_phone',
      Contact: `'=HYPERLINK("http://evil") Tester`,
    });
    expect(files.map((file) => file.name)).toEqual([
      'changes.json',
      'changes.csv',
      'quality.json',
      'quality.csv',
    ]);
  });
});
