import { describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { HOSTILE_TEXT, SPREADSHEET_CASES, UNDOCUMENTED_CONTACT_FIELDS } from '../src/fake-api/hostile.ts';
import { createQwotyServer } from '../src/fake-api/server.ts';
import { fetchWorkspace } from '../src/pipeline/fetch-workspace.ts';
import { createQwotyClient } from '../src/pipeline/qwoty-client.ts';
import { isMalformedEmail } from '../src/pipeline/reports/quality.ts';
import { buildSnapshot } from '../src/pipeline/snapshot.ts';
import { SnapshotSchema } from '../src/shared/schema/published.ts';
import {
  emptySnapshot,
  formulaCustomer,
  sampleSnapshot,
  syntheticSnapshot,
} from '../src/testing/sample-snapshot.ts';
import { tinySnapshot } from '../src/testing/tiny-snapshot.ts';

const TEXT_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'id_crm',
  'id_erp',
  'id_accounting',
] as const;

describe('sampleSnapshot', () => {
  const snapshot = sampleSnapshot();

  test('publishes every contact of the contract cases with each of its values as the case has it', () => {
    const cases = SPREADSHEET_CASES.flatMap((item) => item.contacts);
    expect(snapshot.contacts).toHaveLength(cases.length);
    for (const item of cases) {
      const found = snapshot.contacts.filter((contact) =>
        TEXT_FIELDS.every((field) => contact[field] === item[field]),
      );
      expect(found, JSON.stringify(item)).toHaveLength(1);
      expect(found[0]?.role).toEqual(item.role);
      expect(found[0]?.addresses).toHaveLength(item.addresses?.length ?? 0);
    }
  });

  test("publishes each case customer's values and address parts, and the unreadable one by id alone", () => {
    for (const item of SPREADSHEET_CASES.filter((candidate) => !candidate.unreadable)) {
      const customer = snapshot.customers.find((candidate) => candidate.name === item.customer.name);
      expect(customer).toMatchObject({
        type: item.customer.type,
        segment_id: item.customer.segment_id,
        id_crm: item.customer.id_crm,
        id_erp: item.customer.id_erp,
        id_accounting: item.customer.id_accounting,
      });
      expect(customer?.addresses.map((address) => address.city).sort()).toEqual(
        item.addresses.map((address) => address.city ?? null).sort(),
      );
    }
    expect(snapshot.customers.filter((customer) => customer.name === null)).toHaveLength(1);
    expect(snapshot.warnings).toEqual([expect.stringContaining('could not be read (403')]);
    expect(formulaCustomer(snapshot).contact_count).toBe(SPREADSHEET_CASES[1]?.contacts.length);
  });

  test('has a contact with the fields the docs do not list, for the tables to leave out', () => {
    // The hand-written sample listed them, but its parse through SnapshotSchema dropped them.
    expect(snapshot.contacts.filter((contact) => 'nickname' in contact)).toEqual([
      expect.objectContaining(UNDOCUMENTED_CONTACT_FIELDS),
    ]);
  });

  test('is of the published shape and the same on every call', () => {
    expect(sampleSnapshot()).toEqual(snapshot);
    const documented = structuredClone(snapshot);
    for (const contact of documented.contacts) {
      for (const field of Object.keys(UNDOCUMENTED_CONTACT_FIELDS)) Reflect.deleteProperty(contact, field);
    }
    expect(SnapshotSchema.parse(structuredClone(snapshot))).toEqual(documented);
    expect(emptySnapshot()).toMatchObject({ customers: [], contacts: [], counts: { contacts: 0 } });
  });
});

describe('sampleSnapshot, against a night', () => {
  test('is what a night publishes from the embedded API serving the contract cases over HTTP', async () => {
    const workspace = generateWorkspace({ contacts: 0, cases: SPREADSHEET_CASES });
    const forbiddenIds = workspace.unreadableCustomers.map((k) =>
      String(Reflect.get(Object(workspace.customers[k]), 'id')),
    );
    const token = 'sample-snapshot-test-token';
    const server = await createQwotyServer({ workspace, token, forbiddenIds });
    try {
      const expected = sampleSnapshot();
      const night = buildSnapshot({
        workspace: await fetchWorkspace({
          client: createQwotyClient({ baseUrl: server.url, token, retries: 0 }),
        }),
        source: expected.source,
        generatedAt: new Date(expected.generated_at),
      });
      // The night read its customers just now; the undocumented fields are the preset's own addition.
      const readAt = (snapshot: typeof expected) =>
        snapshot.customers.map((customer) => ({ ...customer, fetched_at: customer.fetched_at && 'read' }));
      expect(readAt(night)).toEqual(readAt(expected));
      const documented = expected.contacts.map((contact) => {
        const copy = { ...contact };
        for (const field of Object.keys(UNDOCUMENTED_CONTACT_FIELDS)) Reflect.deleteProperty(copy, field);
        return copy;
      });
      expect(night.contacts).toEqual(documented);
      expect({ ...night, customers: [], contacts: [] }).toEqual({ ...expected, customers: [], contacts: [] });
    } finally {
      await server.close();
    }
  });
});

describe('syntheticSnapshot', () => {
  test('holds as many plain contacts as asked: no hostile value, no malformed email', () => {
    const snapshot = syntheticSnapshot(2_000);
    expect(snapshot.contacts).toHaveLength(2_000);
    expect(snapshot.customers).toHaveLength(100);
    const names = new Set(snapshot.contacts.flatMap((contact) => [contact.first_name, contact.last_name]));
    for (const text of HOSTILE_TEXT) expect(names.has(text), text).toBe(false);
    const emails = snapshot.contacts.flatMap((contact) => contact.email ?? []);
    expect(emails.filter(isMalformedEmail)).toEqual([]);
    // The first of HOSTILE_CONTACTS, in every workspace but a plain one.
    expect(emails).not.toContain('xss@example.com');
  });
});

describe('tinySnapshot', () => {
  test('names its contacts and customers after the label, with the same ids whatever the label', () => {
    const a = tinySnapshot('a', 4);
    const b = tinySnapshot('b', 4);
    expect(a.contacts.map((contact) => contact.id)).toEqual(b.contacts.map((contact) => contact.id));
    expect(a.contacts.map((contact) => `${contact.first_name} ${contact.last_name}`).sort()).toEqual([
      'a 0 Tester',
      'a 1 Tester',
      'a 2 Tester',
      'a 3 Tester',
    ]);
    expect(a.customers.map((customer) => customer.name)).toEqual(['a Customer One', 'a Customer Two']);
    expect(b.contacts.every((contact) => contact.email?.startsWith('b.'))).toBe(true);
  });
});
