import { describe, expect, test } from 'vitest';
import { UNLINKABLE_EMAILS } from '../src/fake-api/hostile.ts';
import { diffSnapshots, previousFromSnapshot } from '../src/pipeline/reports/changes.ts';
import { SnapshotSchema } from '../src/shared/schema/published.ts';
import {
  addedCustomer,
  changedContacts,
  customerContacts,
  FIXTURE_CUSTOMERS,
  fixtureCustomer,
  makePreviousSnapshot,
  makeSnapshot,
  markupContact,
  STALE_CUSTOMER_READ_AT,
} from '../src/testing/site-fixture.ts';

describe('makeSnapshot', () => {
  const snapshot = makeSnapshot({ contacts: 120 });

  test('makes a snapshot of the published shape, the same on every call', () => {
    expect(SnapshotSchema.parse(structuredClone(snapshot))).toEqual(snapshot);
    expect(snapshot.contacts).toHaveLength(120);
    expect(snapshot.customers).toHaveLength(15);
    expect(makeSnapshot({ contacts: 120 })).toEqual(snapshot);
  });

  test('names its first customers, each with its run of contacts', () => {
    for (const which of Object.keys(FIXTURE_CUSTOMERS) as (keyof typeof FIXTURE_CUSTOMERS)[]) {
      const customer = fixtureCustomer(snapshot, which);
      expect(customerContacts(snapshot, customer)).toHaveLength(8);
    }
    expect(markupContact(snapshot)).toMatchObject({
      first_name: '<script>alert(1)</script>',
      customer_id: fixtureCustomer(snapshot, 'markup').id,
    });
  });

  test('has stale and unreadable customers and the planted data problems', () => {
    const stale = snapshot.customers.filter((customer) => customer.fetched_at === STALE_CUSTOMER_READ_AT);
    expect(stale.length).toBe(1);
    expect(stale[0]?.name).not.toBeNull();
    const unreadable = snapshot.customers.filter((customer) => customer.name === null);
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]?.fetched_at).toBeNull();
    const emails = snapshot.contacts.map((contact) => contact.email);
    for (const email of UNLINKABLE_EMAILS) expect(emails).toContain(email);
    expect(snapshot.contacts.some((contact) => contact.phone_parsed?.extension === '10')).toBe(true);
    expect(snapshot.contacts.some((contact) => contact.phone && !contact.phone_parsed)).toBe(true);
    expect(snapshot.counts.rejected).toBe(1);
  });
});

describe('makePreviousSnapshot', () => {
  test.each([20, 30, 60, 120])(
    'the day before %i contacts: three contacts of the markup customer changed, one added, a customer each way',
    async (contacts) => {
      const snapshot = makeSnapshot({ contacts });
      const changes = await diffSnapshots(previousFromSnapshot(makePreviousSnapshot(snapshot)), snapshot);
      const { changed, added } = changedContacts(snapshot);
      expect(changes.contacts.changed.map((change) => [change.id, change.fields])).toEqual([
        [changed[0]?.id, ['email', 'phone']],
        [changed[1]?.id, ['address_ids', 'addresses', 'role']],
        [changed[2]?.id, ['first_name']],
      ]);
      const newCustomer = addedCustomer(snapshot);
      expect(changes.customers.added.map((customer) => customer.id)).toEqual([newCustomer?.id]);
      expect(changes.contacts.added.map((ref) => ref.id).sort()).toEqual(
        [
          added?.id,
          ...snapshot.contacts
            .filter((contact) => contact.customer_id === newCustomer?.id)
            .map((contact) => contact.id),
        ].sort(),
      );
      expect(changes.contacts.removed).toHaveLength(3);
      expect(changes.customers.removed).toHaveLength(1);
    },
  );
});
