import { describe, expect, test } from 'vitest';
import { AddressSchema, ContactSchema, CustomerSchema, TimestampSchema } from '../src/shared/schema/api.ts';

const ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '3f2504e0-4f89-41d3-9a0c-0305e82c3302';
const documented = {
  id: ID,
  workspace_id: OTHER,
  customer_id: OTHER,
  first_name: 'Jean',
  last_name: 'Dupont',
  email: 'jean.dupont@acme.com',
  phone: '+33 6 12 34 56 78',
  role: ['buyer', 'signer'],
  id_crm: null,
  id_erp: null,
  id_accounting: null,
  address_ids: [],
  created_at: '2024-01-15T10:30:00Z',
  updated_at: '2024-01-15T10:30:00.123+01:00',
};

function issuesOf(result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) {
  return result.error?.issues.map((issue) => issue.path.join('.')) ?? [];
}

describe('ContactSchema', () => {
  test('accepts the documented example unchanged', () => {
    expect(ContactSchema.parse(documented)).toEqual(documented);
  });

  test.each([
    ['no workspace_id and no address_ids', { workspace_id: undefined, address_ids: undefined }],
    ['a role the docs do not list', { role: ['decision_maker'] }],
    ['a field the docs do not list', { job_title: 'CFO' }],
    ['a null phone and email', { phone: null, email: null }],
    ['a null role list', { role: null }],
    ['an upper-case UUID', { id: ID.toUpperCase() }],
    ['no name and no email (the quality report lists it)', { first_name: '', last_name: null, email: ' ' }],
  ])('accepts a contact with %s', (_name, change) => {
    expect(ContactSchema.safeParse({ ...documented, ...change }).success).toBe(true);
  });

  test('reads absent optional fields as null or empty lists', () => {
    const { workspace_id, address_ids, phone, role, ...rest } = documented;
    expect(ContactSchema.parse(rest)).toMatchObject({
      workspace_id: null,
      address_ids: [],
      phone: null,
      role: [],
    });
  });

  test.each([
    ['a missing id', { id: undefined }, ['id']],
    ['a customer_id that is not a UUID', { customer_id: 'acme' }, ['customer_id']],
    ['a role that is a string', { role: 'buyer' }, ['role']],
    ['an email that is a number', { email: 42 }, ['email']],
    ['an unreadable timestamp', { updated_at: 'yesterday' }, ['updated_at']],
  ])('rejects a contact with %s, naming the field', (_name, change, paths) => {
    expect(issuesOf(ContactSchema.safeParse({ ...documented, ...change }))).toEqual(paths);
  });
});

describe('TimestampSchema', () => {
  test.each([
    '2024-01-15T10:30:00Z',
    '2024-01-15T10:30:00.123456Z',
    '2024-01-15T10:30:00+01:00',
    '2024-01-15T10:30:00.5-05:30',
  ])('accepts %s', (value) => {
    expect(TimestampSchema.safeParse(value).success).toBe(true);
  });

  test.each([
    ['an impossible day, which Date.parse rolls over to March', '2024-02-30T10:30:00Z'],
    ['text after the date, which Date.parse ignores', '2024-01-15 is when we met'],
    ['a date without a time', '2024-01-15'],
    ['a time without a zone or offset', '2024-01-15T10:30:00'],
    ['an offset without its colon', '2024-01-15T10:30:00+0100'],
    ['a local format', '31/12/2023 14:00'],
  ])('rejects %s', (_name, value) => {
    expect(TimestampSchema.safeParse(value).success).toBe(false);
  });
});

describe('CustomerSchema', () => {
  test('accepts a customer without the lists some responses omit', () => {
    expect(
      CustomerSchema.parse({
        id: ID,
        name: 'Acme',
        type: 'company',
        tax_ids: [{ tax: 'VAT', tax_value: 'FR123' }],
      }),
    ).toMatchObject({ contact_ids: [], address_ids: [], segment_id: null });
  });

  test('reads a blank display name as a failing field, and an absent one as null', () => {
    expect(issuesOf(CustomerSchema.safeParse({ id: ID, name: '  ' }))).toEqual(['name']);
    expect(CustomerSchema.parse({ id: ID }).name).toBeNull();
  });
});

describe('AddressSchema', () => {
  test('upper-cases a two-letter country and keeps other values as they are', () => {
    expect(AddressSchema.parse({ id: ID, customer_id: OTHER, country: 'de' }).country).toBe('DE');
    expect(AddressSchema.parse({ id: ID, customer_id: OTHER, country: 'Deutschland' }).country).toBe(
      'Deutschland',
    );
  });
});
