/**
 * The one way fixtures make an id, and the records a previous night held that no generated workspace has (the
 * site fixture's removed contacts and customer): every field present, empty unless given. Snapshots themselves
 * come from the generator, through `generated-snapshot.ts`.
 */
import { createHash } from 'node:crypto';
import { parsePhone } from '../pipeline/phone.ts';
import { bareCustomer } from '../pipeline/snapshot.ts';
import { ContactSchema } from '../shared/schema/api.ts';
import type { SnapshotContact, SnapshotCustomer } from '../shared/schema/published.ts';

/**
 * A deterministic UUID-shaped id. A number gives a readable one, for hand-made records a test names by number:
 * `fixtureId(1)` is `00000000-0000-4000-8000-000000000001` (the number in hex). A text gives one with the
 * entropy of a real id, from its SHA-256: `fixtureId('customer-3')`.
 */
export function fixtureId(key: number | string): string {
  if (typeof key === 'number') return `00000000-0000-4000-8000-${key.toString(16).padStart(12, '0')}`;
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

type Owner = Pick<SnapshotCustomer, 'id' | 'name' | 'type'>;

/** A contact of `customer`, with no details but `fields`. */
export function snapshotContact(
  customer: Owner,
  fields: Partial<SnapshotContact> & Pick<SnapshotContact, 'id' | 'workspace_id'>,
): SnapshotContact {
  // Every documented field empty, as the schema reads a record that has only its identity.
  const {
    id: _id,
    workspace_id: _workspace,
    ...empty
  } = ContactSchema.parse({
    id: fields.id,
    customer_id: customer.id,
  });
  return {
    ...empty,
    customer_name: customer.name,
    customer_type: customer.type,
    addresses: [],
    // As publish reads it, with the default country.
    phone_parsed: parsePhone(fields.phone ?? null),
    ...fields,
  };
}

/** A customer with nothing but `fields`. */
export function snapshotCustomer(fields: Owner & Partial<SnapshotCustomer>): SnapshotCustomer {
  return { ...bareCustomer(fields), ...fields };
}
