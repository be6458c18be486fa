/** Customers written by hand (`CustomerCase`, `SPREADSHEET_CASES`) put over generated records. */
import type { CustomerCase } from './hostile.ts';
import type { Random } from './random.ts';
import type { RawAddress, RawContact, RawCustomer } from './raw-records.ts';

interface Records {
  customers: RawCustomer[];
  addresses: RawAddress[];
  contacts: RawContact[];
}

/**
 * The workspace `cases` make of `drawn` (at least one customer per case and one contact per case contact, in
 * order): case k takes the k-th customer and the next contacts, with its fields written over theirs; its
 * addresses are new records on the model of the customer's first; the customers, addresses and contacts no case
 * took are dropped. Also the positions of the cases' unreadable customers.
 */
export function placeCases(
  drawn: Records,
  cases: readonly CustomerCase[],
  r: Random,
): Records & { unreadableCustomers: number[] } {
  const placed: Records = { customers: [], addresses: [], contacts: [] };
  let next = 0;
  cases.forEach((item, k) => {
    const customer = drawn.customers[k];
    const model = drawn.addresses.find((address) => address.customer_id === customer?.id);
    if (!customer || !model)
      throw new RangeError(`Expected a generated customer with an address for case ${k}`);
    const addresses = item.addresses.map(
      (fields): RawAddress => ({
        ...model,
        id: r.uuid(),
        contact_id: null,
        ...fields,
        customer_id: customer.id,
      }),
    );
    const contacts = item.contacts.map(({ addresses: picked = [], ...fields }): RawContact => {
      const contact = drawn.contacts[next];
      next += 1;
      const addressIds = picked.flatMap((index) => addresses[index]?.id ?? []);
      return { ...contact, ...fields, customer_id: customer.id, address_ids: addressIds };
    });
    placed.customers.push({
      ...customer,
      ...item.customer,
      contact_ids: contacts.flatMap(({ id }) => (typeof id === 'string' ? [id] : [])),
      address_ids: addresses.map(({ id }) => id),
    });
    placed.addresses.push(...addresses);
    placed.contacts.push(...contacts);
  });
  const unreadableCustomers = cases.flatMap((item, k) => (item.unreadable ? [k] : []));
  return { ...placed, unreadableCustomers };
}
