/**
 * The one definition of what the tabular exports (CSV, XLSX) show. Values are the snapshot's text as it is;
 * each format makes it safe for its readers (formula neutralising for CSV, typed cells for XLSX). Fields the
 * API sends that the docs don't list are not published at all (see `ContactSchema`).
 *
 * Pure on purpose (type imports only): the home page's browser bundle builds the CSV of a search from these
 * same columns.
 */
import type { AddressSummary, SnapshotContact, SnapshotCustomer } from './schema/published.ts';

/**
 * How a column's value is written: text, a count, or a date: ISO 8601 text in the CSV (it sorts in time
 * order), a date-time cell in the XLSX.
 */
export type ColumnKind = 'text' | 'count' | 'date';

/** One column of a tabular export. */
export interface Column<Row, Value = string | null> {
  /** Stable identifier, independent of the label. */
  readonly key: string;
  /** The header cell. */
  readonly header: string;
  readonly kind: ColumnKind;
  /** The cell's value; `null` for an empty cell. */
  readonly value: (row: Row) => Value;
}

/** Separator between the addresses of one cell: keeps each row on one line, unlike a newline. */
export const ADDRESS_SEPARATOR = ' | ';

/** Separator between roles: "buyer, signer". */
export const ROLE_SEPARATOR = ', ';

/** The address summaries of one cell, or `null` when there are none. */
export function joinAddresses(addresses: readonly Pick<AddressSummary, 'summary'>[]): string | null {
  return addresses.length > 0 ? addresses.map((address) => address.summary).join(ADDRESS_SEPARATOR) : null;
}

/**
 * What the contact columns read of a contact: a `SnapshotContact` is one, and so is what the browser rebuilds
 * from the site's export files (`src/site/shared/export-rows.ts`).
 */
export type ContactRow = Pick<
  SnapshotContact,
  | 'id'
  | 'customer_id'
  | 'customer_name'
  | 'customer_type'
  | 'first_name'
  | 'last_name'
  | 'email'
  | 'phone'
  | 'role'
  | 'id_crm'
  | 'id_erp'
  | 'id_accounting'
  | 'created_at'
  | 'updated_at'
> & { addresses: readonly Pick<AddressSummary, 'summary'>[] };

/** What contacts and customers both have, read the same way: their IDs in other systems and addresses. */
type SharedFields = Pick<SnapshotCustomer, 'id_crm' | 'id_erp' | 'id_accounting'> & {
  addresses: readonly Pick<AddressSummary, 'summary'>[];
};

function sharedColumns<Row extends SharedFields>() {
  const text = (key: 'id_crm' | 'id_erp' | 'id_accounting', header: string): Column<Row> => ({
    key,
    header,

    kind: 'text',
    value: (row) => row[key],
  });
  return {
    idCrm: text('id_crm', 'CRM ID'),
    idErp: text('id_erp', 'ERP ID'),
    idAccounting: text('id_accounting', 'Accounting ID'),
    addresses: {
      key: 'addresses',
      header: 'Addresses',

      kind: 'text',
      value: (row) => joinAddresses(row.addresses),
    } satisfies Column<Row>,
  };
}

const contact = sharedColumns<ContactRow>();
const customer = sharedColumns<SnapshotCustomer>();

/** The contact columns of `contacts.csv`, the "Contacts" sheet and the per-customer CSV downloads. */
export const CONTACT_COLUMNS: readonly Column<ContactRow>[] = [
  { key: 'customer', header: 'Customer', kind: 'text', value: (c) => c.customer_name },
  { key: 'customer_type', header: 'Customer type', kind: 'text', value: (c) => c.customer_type },
  { key: 'first_name', header: 'First name', kind: 'text', value: (c) => c.first_name },
  { key: 'last_name', header: 'Last name', kind: 'text', value: (c) => c.last_name },
  { key: 'email', header: 'Email', kind: 'text', value: (c) => c.email },
  { key: 'phone', header: 'Phone', kind: 'text', value: (c) => c.phone },
  {
    key: 'roles',
    header: 'Roles',

    kind: 'text',
    value: (c) => (c.role.length > 0 ? c.role.join(ROLE_SEPARATOR) : null),
  },
  contact.addresses,
  { key: 'customer_id', header: 'Customer ID', kind: 'text', value: (c) => c.customer_id },
  { key: 'contact_id', header: 'Contact ID', kind: 'text', value: (c) => c.id },
  contact.idCrm,
  contact.idErp,
  contact.idAccounting,
  { key: 'created_at', header: 'Created at', kind: 'date', value: (c) => c.created_at },
  { key: 'updated_at', header: 'Updated at', kind: 'date', value: (c) => c.updated_at },
];

/** The columns of the XLSX "Customers" sheet. */
export const CUSTOMER_COLUMNS: readonly Column<SnapshotCustomer, string | number | null>[] = [
  { key: 'customer', header: 'Customer', kind: 'text', value: (c) => c.name },
  { key: 'customer_type', header: 'Customer type', kind: 'text', value: (c) => c.type },
  { key: 'customer_id', header: 'Customer ID', kind: 'text', value: (c) => c.id },
  customer.idCrm,
  customer.idErp,
  customer.idAccounting,
  { key: 'contact_count', header: 'Contacts', kind: 'count', value: (c) => c.contact_count },
  customer.addresses,
  {
    key: 'tax_ids',
    header: 'Tax IDs',

    kind: 'text',
    value: (c) =>
      c.tax_ids.length > 0
        ? c.tax_ids.map((tax) => `${tax.tax} ${tax.tax_value}`).join(ROLE_SEPARATOR)
        : null,
  },
  addressPart('street', 'Street'),
  addressPart('postal_code', 'Postal code'),
  addressPart('city', 'City'),
  addressPart('region', 'Region'),
  addressPart('country', 'Country'),
];

/**
 * The address a customer sheet shows in its own columns: the billing address when there is one, else the
 * first. (The "Addresses" column lists them all.)
 */
export function mainAddress<A extends Pick<AddressSummary, 'type'>>(addresses: readonly A[]): A | undefined {
  return addresses.find((address) => address.type === 'billing') ?? addresses[0];
}

function addressPart(
  key: 'street' | 'postal_code' | 'city' | 'region' | 'country',
  header: string,
): Column<SnapshotCustomer> {
  return { key, header, kind: 'text', value: (c) => mainAddress(c.addresses)?.[key] ?? null };
}
