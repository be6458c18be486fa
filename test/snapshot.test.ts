import { describe, expect, test } from 'vitest';
import type { FetchedWorkspace } from '../src/pipeline/fetch-workspace.ts';
import { buildSnapshot, compareText, summarizeAddress } from '../src/pipeline/snapshot.ts';
import { AddressSchema, ContactSchema, CustomerSchema } from '../src/shared/schema/api.ts';
import { SnapshotSchema } from '../src/shared/schema/published.ts';
import { fixtureId as id } from '../src/testing/records.ts';

const contact = (n: number, customer: number, first: string, last: string, extra: object = {}) =>
  ContactSchema.parse({
    id: id(n),
    customer_id: id(customer),
    first_name: first,
    last_name: last,
    email: `${first}@x.test`,
    ...extra,
  });
const customer = (n: number, name: string) => CustomerSchema.parse({ id: id(n), name, type: 'company' });
const address = (n: number, customerN: number, extra: object = {}) =>
  AddressSchema.parse({
    id: id(n),
    customer_id: id(customerN),
    type: 'billing',
    address_line1: '12 rue de la Paix',
    postal_code: '75002',
    city: 'Paris',
    country: 'fr',
    ...extra,
  });

function workspace(parts: Partial<FetchedWorkspace>): FetchedWorkspace {
  return {
    contacts: [],
    customers: new Map(),
    addresses: [],
    rejects: [],
    contactRecords: 0,
    normalised: [],
    unreadableCustomers: new Map(),
    lists: {},
    warnings: [],
    ...parts,
  };
}

const source = { host: 'qwoty.app', customer_id: null, demo: false };
const generatedAt = new Date('2026-11-30T02:00:00Z');

describe('summarizeAddress', () => {
  test('joins the lines people read, upper-cases the country and skips what is empty', () => {
    expect(summarizeAddress(address(1, 2, { address_line2: '  Bât. B\n 2e étage ', state: null }))).toEqual({
      id: id(1),
      type: 'billing',
      label: null,
      summary: '12 rue de la Paix, Bât. B 2e étage, 75002 Paris, FR',
      street: '12 rue de la Paix, Bât. B 2e étage',
      postal_code: '75002',
      city: 'Paris',
      region: null,
      country: 'FR',
    });
  });

  test('keeps the parts apart for the address books and spreadsheets that want them', () => {
    const parts = summarizeAddress(address(1, 2, { address_line1: null, state: ' Île-de-France ' }));
    expect(parts).toMatchObject({ street: null, postal_code: '75002', region: 'Île-de-France' });
  });
});

describe('compareText', () => {
  test('orders accents and case the way a person expects, empty last', () => {
    expect(['zoë', 'Émile', null, 'adam', 'Zoe'].sort(compareText)).toEqual([
      'adam',
      'Émile',
      'Zoe',
      'zoë',
      null,
    ]);
  });
});

describe('buildSnapshot', () => {
  test('reads each phone once: E.164, national form, extension and RFC 3966 link, in the default country', () => {
    const phones = ['+33 1 20 57 94 57 ext. 10', '02 12 34 56 78', 'call me', null];
    const build = (defaultCountry?: string) =>
      buildSnapshot({
        workspace: workspace({
          contacts: phones.map((phone, n) => contact(20 + n, 1, `P${n}`, 'Phone', { phone })),
          customers: new Map([[id(1), customer(1, 'Acme')]]),
        }),
        source,
        generatedAt,
        ...(defaultCountry ? { defaultCountry } : {}),
      }).contacts.map((item) => item.phone_parsed ?? null);
    const [extended, national, unreadable, none] = build();
    expect(extended).toEqual({
      e164: '+33120579457',
      national: '01 20 57 94 57 ext. 10',
      extension: '10',
      uri: 'tel:+33120579457;ext=10',
      country: 'FR',
    });
    expect(national?.e164).toBe('+33212345678');
    expect(unreadable).toBeNull();
    expect(none).toBeNull();
    // Belgium's numbers are shorter: the same national digits read as a Belgian number.
    expect(build('BE')[1]?.e164).toBe('+32212345678');
  });

  test('groups contacts by customer name, then last and first name, whatever order the API used', () => {
    const snapshot = buildSnapshot({
      workspace: workspace({
        contacts: [
          contact(10, 2, 'Zoë', 'Zola'),
          contact(11, 1, 'Bob', 'Brown'),
          contact(12, 2, 'Ana', 'Zola'),
          contact(13, 2, 'Max', 'Abel'),
        ],
        customers: new Map([
          [id(1), customer(1, 'Zeta Ltd')],
          [id(2), customer(2, 'Acme, Inc.')],
        ]),
      }),
      source,
      generatedAt,
    });
    expect(snapshot.customers.map((c) => [c.name, c.contact_count])).toEqual([
      ['Acme, Inc.', 3],
      ['Zeta Ltd', 1],
    ]);
    expect(snapshot.contacts.map((c) => `${c.first_name} ${c.last_name}`)).toEqual([
      'Max Abel',
      'Ana Zola',
      'Zoë Zola',
      'Bob Brown',
    ]);
    expect(snapshot.contacts[0]).toMatchObject({ customer_name: 'Acme, Inc.', customer_type: 'company' });
    expect(SnapshotSchema.parse(snapshot)).toEqual(snapshot);
  });

  test('gives the same result for the same data in another order', () => {
    const contacts = [contact(1, 5, 'A', 'B'), contact(2, 5, 'A', 'B'), contact(3, 6, 'C', 'D')];
    const customers = new Map([
      [id(5), customer(5, 'Same')],
      [id(6), customer(6, 'Same')],
    ]);
    const one = buildSnapshot({ workspace: workspace({ contacts, customers }), source, generatedAt });
    const two = buildSnapshot({
      workspace: workspace({ contacts: [...contacts].reverse(), customers }),
      source,
      generatedAt,
    });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  test('lists customers it could not name last, by id, with a null name', () => {
    const snapshot = buildSnapshot({
      workspace: workspace({
        contacts: [contact(1, 9, 'A', 'B'), contact(2, 1, 'C', 'D')],
        customers: new Map([[id(1), customer(1, 'Named')]]),
      }),
      source,
      generatedAt,
    });
    expect(snapshot.customers.map((c) => c.name)).toEqual(['Named', null]);
    expect(snapshot.contacts[1]).toMatchObject({ customer_name: null, customer_type: null });
  });

  test("attaches a contact's own addresses first, then those that name it, and each customer's addresses", () => {
    const snapshot = buildSnapshot({
      workspace: workspace({
        contacts: [contact(1, 9, 'A', 'B', { address_ids: [id(21)] })],
        customers: new Map([[id(9), customer(9, 'C')]]),
        addresses: [
          address(20, 9, { type: 'shipping', contact_id: id(1) }),
          address(21, 9),
          address(22, 9),
          address(23, 8),
        ],
      }),
      source,
      generatedAt,
    });
    expect(snapshot.contacts[0]?.addresses.map((a) => a.id)).toEqual([id(21), id(20)]);
    expect(snapshot.customers[0]?.addresses.map((a) => a.id)).toEqual([id(21), id(22), id(20)]);
    expect(snapshot.counts).toEqual({ contacts: 1, customers: 1, addresses: 3, rejected: 0 });
  });

  test('publishes none of the fields the API added that the docs do not list', () => {
    const snapshot = buildSnapshot({
      workspace: workspace({ contacts: [contact(1, 9, 'A', 'B', { job_title: 'CFO', locale: 'fr-FR' })] }),
      source,
      generatedAt,
    });
    expect(snapshot.contacts[0]).toMatchObject({ first_name: 'A', customer_name: null });
    expect(snapshot.contacts[0]).not.toHaveProperty('job_title');
    expect(snapshot.contacts[0]).not.toHaveProperty('locale');
  });
});

describe('compareText, as a sort order', () => {
  test('is total: empty text and null have one place whatever the input order', () => {
    const values = ['b', null, '', 'a', null, '', 'B'];
    const sorted = [...values].sort(compareText);
    expect(sorted).toEqual(['a', 'B', 'b', '', '', null, null]);
    expect([...values].reverse().sort(compareText)).toEqual(sorted);
  });
});
