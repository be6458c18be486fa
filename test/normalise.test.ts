import { describe, expect, test } from 'vitest';
import { normaliseAddress, normaliseContact, normaliseCustomer } from '../src/pipeline/normalise.ts';

const ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const OTHER = '3f2504e0-4f89-41d3-9a0c-0305e82c3302';
const contact = { id: ID, customer_id: OTHER, first_name: 'Jean', last_name: 'Dupont', role: ['buyer'] };
const customer = { id: OTHER, name: 'Acme', type: 'company', tax_ids: [{ tax: 'VAT', tax_value: 'FR1' }] };

describe('normaliseContact', () => {
  test('returns a valid contact as the schema reads it, with nothing noted', () => {
    expect(normaliseContact(contact)).toMatchObject({ ok: true, record: { role: ['buyer'] }, fields: [] });
  });

  test.each([
    ['no id', { id: undefined }, 'id'],
    ['an id that is not a UUID', { id: '12345' }, 'id'],
    ['no customer_id', { customer_id: undefined }, 'customer_id'],
    ['a customer_id that is not a UUID', { customer_id: 'CUST-000123' }, 'customer_id'],
  ])('rejects a contact with %s, naming the field', (_name, change, path) => {
    const result = normaliseContact({ ...contact, ...change, email: 42 });
    expect(result.ok).toBe(false);
    // Only the identity is the reason: the bad email would have been emptied.
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toEqual([path]);
  });

  test.each([null, 'text', 42, [contact]])('rejects a record that is not an object: %j', (raw) => {
    expect(normaliseContact(raw).ok).toBe(false);
  });

  test('reads a role sent as one string as a one-element list', () => {
    const result = normaliseContact({ ...contact, role: 'decision_maker' });
    expect(result).toMatchObject({
      ok: true,
      record: { role: ['decision_maker'] },
      fields: [{ entity: 'contact', id: ID, field: 'role', type: 'string', action: 'mapped' }],
    });
  });

  test.each([
    ['email', 33612345678, 'number', null],
    ['phone', { number: '+33 6' }, 'object', null],
    ['role', [1, 2], 'array', []],
    ['address_ids', ['addr-1'], 'array', []],
    ['created_at', '31/12/2023 14:00', 'string', null],
    ['workspace_id', 'ws-1', 'string', null],
  ])('publishes %s empty when it is %j, noting its type and the reason', (field, value, type, empty) => {
    const result = normaliseContact({ ...contact, [field]: value });
    expect(result).toMatchObject({ ok: true, record: { [field]: empty, first_name: 'Jean' } });
    if (result.ok) {
      expect(result.fields).toEqual([
        { entity: 'contact', id: ID, field, type, reason: expect.any(String), action: 'emptied' },
      ]);
      expect(result.fields[0]?.reason).not.toBe('');
    }
  });

  test('drops fields the docs do not list, whatever their shape, so that they are never published', () => {
    for (const raw of [
      { ...contact, job_title: { en: 'CFO' }, locale: 'fr-FR' },
      { ...contact, email: 1, job_title: { en: 'CFO' }, locale: 'fr-FR' },
    ]) {
      const result = normaliseContact(raw);
      expect(result.ok).toBe(true);
      if (result.ok)
        expect(Object.keys(result.record).filter((key) => key === 'job_title' || key === 'locale')).toEqual(
          [],
        );
    }
  });
});

describe('normaliseCustomer', () => {
  test.each([
    [
      'tax ids as {code, value}',
      {
        tax_ids: [
          { code: 'VAT', value: 'FR1' },
          { tax: 'SIRET', tax_value: '2' },
        ],
      },
      {
        tax_ids: [
          { tax: 'VAT', tax_value: 'FR1' },
          { tax: 'SIRET', tax_value: '2' },
        ],
      },
      'tax_ids',
    ],
    [
      'one tax id as {code, value}',
      { tax_ids: { code: 'VAT', value: 'FR1' } },
      { tax_ids: [{ tax: 'VAT', tax_value: 'FR1' }] },
      'tax_ids',
    ],
    [
      'a logo as {url, alt}',
      { logo: { url: 'https://x.example/l.png', alt: 'Acme' } },
      { logo: 'https://x.example/l.png' },
      'logo',
    ],
  ])('maps %s and keeps the name', (_name, change, expected, field) => {
    const result = normaliseCustomer({ ...customer, ...change });
    expect(result).toMatchObject({ ok: true, record: { name: 'Acme', ...expected } });
    if (result.ok) expect(result.fields).toMatchObject([{ entity: 'customer', field, action: 'mapped' }]);
  });

  test.each([
    ['a logo that is a number', { logo: 42 }, { logo: null }],
    ['tax ids that are text', { tax_ids: 'FR123' }, { tax_ids: [] }],
    ['tax ids with neither shape', { tax_ids: [{ kind: 'VAT' }] }, { tax_ids: [] }],
    ['custom properties that are a list', { custom_properties: [1] }, { custom_properties: null }],
  ])('publishes %s empty and keeps the name', (_name, change, expected) => {
    const result = normaliseCustomer({ ...customer, ...change });
    expect(result).toMatchObject({ ok: true, record: { name: 'Acme', ...expected } });
    if (result.ok) expect(result.fields).toMatchObject([{ action: 'emptied' }]);
  });

  test('keeps custom properties as sent', () => {
    const custom_properties = { tier: 'gold', nested: { list: [1, 'two'] } };
    expect(normaliseCustomer({ ...customer, custom_properties })).toMatchObject({
      ok: true,
      record: { custom_properties },
      fields: [],
    });
  });

  test('reads a blank name as no name, noting it', () => {
    const result = normaliseCustomer({ ...customer, name: '   ' });
    expect(result).toMatchObject({
      ok: true,
      record: { name: null },
      fields: [{ field: 'name', action: 'emptied' }],
    });
  });

  test('rejects a customer without a usable id', () => {
    expect(normaliseCustomer({ ...customer, id: 'acme' }).ok).toBe(false);
  });
});

describe('normaliseAddress', () => {
  test('publishes a bad country empty and keeps the address', () => {
    const result = normaliseAddress({ id: ID, customer_id: OTHER, city: 'Lyon', country: 250 });
    expect(result).toMatchObject({ ok: true, record: { city: 'Lyon', country: null } });
  });

  test('rejects an address whose customer_id is not a UUID', () => {
    expect(normaliseAddress({ id: ID, customer_id: 'c-1', city: 'Lyon' }).ok).toBe(false);
  });
});
