/**
 * The one way fixtures make a snapshot's contact or customer: every field present, empty unless given. The
 * hand-made sample, the site fixture and the previous-night fixture all start from these.
 */
import { parsePhone } from '../pipeline/phone.ts';
import { bareCustomer } from '../pipeline/snapshot.ts';
import type { SnapshotContact, SnapshotCustomer } from '../shared/schema/published.ts';

type Owner = Pick<SnapshotCustomer, 'id' | 'name' | 'type'>;

/** A contact of `customer`, with no details but `fields`. */
export function snapshotContact(
  customer: Owner,
  fields: Partial<SnapshotContact> & Pick<SnapshotContact, 'id' | 'workspace_id'>,
): SnapshotContact {
  return {
    customer_id: customer.id,
    first_name: null,
    last_name: null,
    email: null,
    phone: null,
    role: [],
    id_crm: null,
    id_erp: null,
    id_accounting: null,
    address_ids: [],
    created_at: null,
    updated_at: null,
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
