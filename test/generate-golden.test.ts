import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { type GenerateWorkspaceOptions, generateWorkspace } from '../src/fake-api/generate.ts';
import { HOSTILE_CUSTOMER_NAMES, UNLINKABLE_EMAILS } from '../src/fake-api/hostile.ts';

/**
 * The SHA-256 of the JSON of workspaces the demo, the benchmarks and the tests generate, as the generator made
 * them before the test fixtures' options (named customers, runs of contacts, planted problems, stale and
 * unreadable customers) were added to it. Those options are off by default: without them, the same seed
 * must still give byte for byte the same records, or the demo's and the benchmarks' figures would move.
 */
const GOLDEN: [GenerateWorkspaceOptions, string][] = [
  [{ contacts: 0 }, '8194b84e89d1912e94f343f07a303b1b7098f2537edf67a37a0002aeff3a265f'],
  [{ contacts: 5, seed: 2 }, '0a669805aae1ee9686d492b8a3b55044ed0ba95e6dc82d81b8376f2379050989'],
  // `npm run demo`'s default: 2,000 contacts, seed 1, five invalid and five bent.
  [
    { contacts: 2000, seed: 1, invalid: 5, bent: 5 },
    '1f48b3a25bbae3349ddc156e17a8cfbceab803b4bda66778ab74e3628ac664db',
  ],
  [
    { contacts: 300, seed: 8, invalid: 4, bent: 6 },
    '3af24bf36c6e369fec1904e1506058458587f72015a793f1bb54f9857be09418',
  ],
  [
    { contacts: 2000, seed: 7, invalid: 20, bent: 20 },
    '4c34c2c836a14958e78d27074e18316ab6c94d5ca907ba48e4ddb0aaf128fdb6',
  ],
  [
    { contacts: 400, seed: 4, contactsPerCustomer: 200 },
    '08efe1ebc9177cfbb6b353ad3701d390dce92ad43649f3d86965f2ad6fe2091b',
  ],
  // The pipeline benchmark's two nights at 100,000 contacts.
  [{ contacts: 100_000, seed: 1 }, '01f9f3da859b998b6c76caec1898ca6be85d934b2e57efd87b500cdf1dd9b78e'],
  [{ contacts: 100_000, seed: 2 }, '5629ead58fdba8f465a71aae14de5f243480648a8674f251721b59ccc64a1585'],
];

describe('generateWorkspace', () => {
  test.each(GOLDEN)('gives the same bytes as before for %j', (options, sha256) => {
    const { staleCustomers, unreadableCustomers, ...records } = generateWorkspace(options);
    const json = JSON.stringify(records);
    expect(staleCustomers).toEqual([]);
    expect(unreadableCustomers).toEqual([]);
    expect(createHash('sha256').update(json).digest('hex')).toBe(sha256);
  });
});

describe('generateWorkspace, with the options test fixtures use', () => {
  const field = (record: unknown, name: string) => Reflect.get(record as object, name);
  const names = ['<b>Bold</b>', 'Globex Ltd'];
  const workspace = generateWorkspace({
    contacts: 200,
    contactsPerCustomer: 8,
    customerNames: names,
    grouped: true,
    planted: true,
    stale: 3,
    unreadable: 2,
  });

  test('names the first customers as asked, and puts the hostile customer names after them', () => {
    expect(workspace.customers.slice(0, 2).map((customer) => field(customer, 'name'))).toEqual(names);
    expect(workspace.customers.map((customer) => field(customer, 'name'))).toContain(
      HOSTILE_CUSTOMER_NAMES[0],
    );
  });

  test('gives each customer one run of contacts, of as many as asked', () => {
    const owners = workspace.contacts.map((contact) => field(contact, 'customer_id'));
    const runs = owners.filter((owner, index) => owner !== owners[index - 1]);
    expect(runs).toEqual(workspace.customers.map((customer) => field(customer, 'id')));
    expect(new Set(owners.map((owner) => owners.filter((other) => other === owner).length))).toEqual(
      new Set([8]),
    );
  });

  test('plants each data problem on every 50 contacts', () => {
    const at = (index: number) => workspace.contacts[index];
    for (const base of [0, 50, 100, 150]) {
      expect(field(at(base + 8), 'phone')).toBeNull();
      expect(field(at(base + 10), 'phone')).toBe('12');
      expect(UNLINKABLE_EMAILS.map((_, k) => field(at(base + 11 + k), 'email'))).toEqual([
        ...UNLINKABLE_EMAILS,
      ]);
      expect(field(at(base + 20), 'phone')).toMatch(/^\+33 1 20 57 \d\d \d\d ext\. 10$/);
      expect(field(at(base + 21), 'phone')).toMatch(/^04 72 /);
      expect(field(at(base + 24), 'email')).toBe(field(at(base + 25), 'email'));
    }
  });

  test('lists the stale and the unreadable customers apart, after the named ones', () => {
    expect(workspace.staleCustomers).toHaveLength(3);
    expect(workspace.unreadableCustomers).toHaveLength(2);
    const all = [...workspace.staleCustomers, ...workspace.unreadableCustomers];
    expect(new Set(all).size).toBe(5);
    for (const position of all) {
      expect(position).toBeGreaterThanOrEqual(names.length);
      expect(position).toBeLessThan(workspace.customers.length);
    }
  });
});

describe('generateWorkspace, with fewer hostile cases', () => {
  test('puts only the first `hostileContacts` hostile contacts and `hostileCustomerNames` names in place', () => {
    const workspace = generateWorkspace({ contacts: 300, hostileContacts: 2, hostileCustomerNames: 0 });
    const emails = workspace.contacts.map((contact) => Reflect.get(contact as object, 'email'));
    expect(emails).toContain('xss@example.com');
    expect(emails).toContain('zoe.nunez@example.com');
    expect(emails).not.toContain('mohammed@example.com');
    const names = new Set(workspace.customers.map((customer) => Reflect.get(customer as object, 'name')));
    for (const name of HOSTILE_CUSTOMER_NAMES) expect(names.has(name)).toBe(false);
  });

  test('puts them on the first contacts, one after the other, with `hostileFirst`', () => {
    const workspace = generateWorkspace({ contacts: 300, hostileContacts: 3, hostileFirst: true });
    const emails = workspace.contacts.slice(0, 3).map((contact) => Reflect.get(contact as object, 'email'));
    expect(emails).toEqual(['xss@example.com', 'zoe.nunez@example.com', 'mohammed@example.com']);
  });
});
