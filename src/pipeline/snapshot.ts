/**
 * Turns a fetched workspace into the published `Snapshot`: contacts joined with their customer's name and
 * their address summaries, customers with their addresses and contact counts, all in a deterministic order
 * (customer name, then last name, first name, email, id) so that two runs over the same data give the same
 * bytes.
 */

import type { Address } from '../shared/schema/api.ts';
import type {
  AddressSummary,
  Snapshot,
  SnapshotContact,
  SnapshotCustomer,
  SnapshotSource,
} from '../shared/schema/published.ts';
import type { FetchedWorkspace } from './fetch-workspace.ts';
import { DEFAULT_PHONE_COUNTRY, parsePhone } from './phone.ts';

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** Compares display texts the way a person expects (accents and case aside), with a stable tie-break. */
export function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null || a === '' || b === null || b === '') return emptiness(a) - emptiness(b);
  return collator.compare(a, b) || (a < b ? -1 : 1);
}

/** Empty texts sort last, '' before null, so that the order is total. */
function emptiness(text: string | null): number {
  return text === null ? 2 : text === '' ? 1 : 0;
}

/** A customer known only by what its contacts say (its id, name and type): every other field empty. */
export function bareCustomer(owner: Pick<SnapshotCustomer, 'id' | 'name' | 'type'>): SnapshotCustomer {
  return {
    id: owner.id,
    name: owner.name,
    type: owner.type,
    segment_id: null,
    id_crm: null,
    id_erp: null,
    id_accounting: null,
    tax_ids: [],
    addresses: [],
    contact_count: 0,
  };
}

/** A part of an address on one line, its runs of white space as one space. */
function oneLine(part: string | null | undefined): string | undefined {
  return part?.replace(/\s+/g, ' ').trim();
}

/** "Head office: 12 rue de la Paix, 75002 Paris, FR". */
export function summarizeAddress(address: Address): AddressSummary {
  const cityLine = [address.postal_code, address.city].filter(Boolean).join(' ');
  const parts = [address.address_line1, address.address_line2, cityLine, address.state, address.country]
    .map(oneLine)
    .filter((part): part is string => Boolean(part));
  const street = [address.address_line1, address.address_line2]
    .map(oneLine)
    .filter((part): part is string => Boolean(part))
    .join(', ');
  return {
    id: address.id,
    type: address.type,
    label: address.name,
    summary: parts.join(', '),
    street: street || null,
    postal_code: oneLine(address.postal_code) || null,
    city: address.city,
    region: oneLine(address.state) || null,
    country: address.country,
  };
}

export interface BuildSnapshotOptions {
  workspace: FetchedWorkspace;
  source: SnapshotSource;
  generatedAt: Date;
  /** The country of phone numbers written without a country code (`QWOTY_DEFAULT_COUNTRY`); FR by default. */
  defaultCountry?: string;
}

export function buildSnapshot({
  workspace,
  source,
  generatedAt,
  defaultCountry = DEFAULT_PHONE_COUNTRY,
}: BuildSnapshotOptions): Snapshot {
  // One summary per address, shared by the customer and each contact that lists it.
  const summaries = new Map<Address, AddressSummary>();
  const summary = (address: Address) => {
    let found = summaries.get(address);
    if (!found) {
      found = summarizeAddress(address);
      summaries.set(address, found);
    }
    return found;
  };
  const addressesById = new Map<string, Address>();
  const addressesByCustomer = new Map<string, Address[]>();
  const addressesByContact = new Map<string, Address[]>();
  for (const address of workspace.addresses) {
    addressesById.set(address.id, address);
    push(addressesByCustomer, address.customer_id, address);
    if (address.contact_id) push(addressesByContact, address.contact_id, address);
  }

  const contactCounts = new Map<string, number>();
  for (const contact of workspace.contacts) {
    contactCounts.set(contact.customer_id, (contactCounts.get(contact.customer_id) ?? 0) + 1);
  }

  const takenAt = generatedAt.toISOString();
  const customers: SnapshotCustomer[] = [...contactCounts.keys()].map((id) => {
    const customer = workspace.customers.get(id);
    const listed: SnapshotCustomer = {
      id,
      name: customer?.name ?? null,
      type: customer?.type ?? null,
      segment_id: customer?.segment_id ?? null,
      id_crm: customer?.id_crm ?? null,
      id_erp: customer?.id_erp ?? null,
      id_accounting: customer?.id_accounting ?? null,
      tax_ids: customer?.tax_ids ?? [],
      addresses: sortAddresses(addressesByCustomer.get(id) ?? []).map(summary),
      contact_count: contactCounts.get(id) ?? 0,
      fetched_at: customer ? (workspace.fetchedAt?.get(id) ?? takenAt) : null,
    };
    if (!customer) return listed;
    // The rest of what the API documents about the customer, and its custom properties when it has any.
    return {
      ...listed,
      workspace_id: customer.workspace_id,
      logo: customer.logo,
      contact_ids: customer.contact_ids,
      address_ids: customer.address_ids,
      created_at: customer.created_at,
      updated_at: customer.updated_at,
      ...(customer.custom_properties ? { custom_properties: customer.custom_properties } : {}),
    };
  });
  customers.sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id));
  const customerOrder = new Map(customers.map((customer, index) => [customer.id, index]));

  // The contacts become snapshot contacts in place: at 100,000 contacts a copy would cost 100 MB and its GC.
  const contacts: SnapshotContact[] = workspace.contacts.map((contact) => {
    const customer = workspace.customers.get(contact.customer_id);
    const own = contact.address_ids
      .map((id) => addressesById.get(id))
      .filter((address): address is Address => address !== undefined);
    const linked = (addressesByContact.get(contact.id) ?? []).filter((address) => !own.includes(address));
    return Object.assign(contact, {
      customer_name: customer?.name ?? null,
      customer_type: customer?.type ?? null,
      addresses: [...own, ...sortAddresses(linked)].map(summary),
      phone_parsed: parsePhone(contact.phone, defaultCountry),
    });
  });
  // Collation is slow: rank each distinct name once, then sort by numbers.
  const lastRank = rankTexts(contacts.map((contact) => contact.last_name));
  const firstRank = rankTexts(contacts.map((contact) => contact.first_name));
  const keyed = contacts.map((contact) => ({
    contact,
    key: [
      customerOrder.get(contact.customer_id) ?? 0,
      lastRank.get(contact.last_name) ?? 0,
      firstRank.get(contact.first_name) ?? 0,
    ],
  }));
  keyed.sort(
    (a, b) =>
      compareKeys(a.key, b.key) ||
      // Emails are nearly unique: compared only on a tie of customer and names, not ranked up front.
      compareText(a.contact.email, b.contact.email) ||
      (a.contact.id < b.contact.id ? -1 : a.contact.id > b.contact.id ? 1 : 0),
  );
  for (const [index, entry] of keyed.entries()) contacts[index] = entry.contact;

  const customerIds = new Set(contactCounts.keys());
  return {
    schema_version: 1,
    generated_at: generatedAt.toISOString(),
    source,
    counts: {
      contacts: contacts.length,
      customers: customers.length,
      addresses: workspace.addresses.filter((address) => customerIds.has(address.customer_id)).length,
      rejected: workspace.rejects.length,
    },
    warnings: workspace.warnings,
    customers,
    contacts,
  };
}

/** Each distinct text's position in `compareText` order. */
function rankTexts(values: readonly (string | null)[]): Map<string | null, number> {
  const distinct = [...new Set(values)].sort(compareText);
  return new Map(distinct.map((value, index) => [value, index]));
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < a.length; index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function sortAddresses(addresses: Address[]): Address[] {
  return [...addresses].sort(
    (a, b) => compareText(a.type, b.type) || compareText(a.name, b.name) || compareText(a.id, b.id),
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
