/**
 * The files from which the home page builds the CSV of a search in the browser. The search data holds only
 * what matching and the results list need (a name, the email, the phone); the CSV has every column of the
 * snapshot's `contacts.csv`. So the site also writes every contact's CSV fields, as the snapshot has them, in
 * chunks cut like the id chunks (contact `i` is record `i % per` of `files[⌊i / per⌋]`, in directory order):
 * a download fetches only the chunks its contacts are in, and nothing is fetched until someone downloads.
 *
 * Isomorphic: `src/site/build/export-data.ts` writes these, `src/site/client/result-csv.ts` reads them.
 */
import type { ContactRow } from '../../shared/export-columns.ts';

/** The export index: where each contact's record is. */
export interface ExportIndex {
  per: number;
  files: string[];
}

/** One contact's CSV fields, as a JSON array (the keys would be most of the bytes). */
export type ExportRecord = [
  id: string,
  customerId: string,
  customerName: string | null,
  customerType: string | null,
  firstName: string | null,
  lastName: string | null,
  email: string | null,
  phone: string | null,
  roles: string[],
  /** The address summaries. */
  addresses: string[],
  idCrm: string | null,
  idErp: string | null,
  idAccounting: string | null,
  createdAt: string | null,
  updatedAt: string | null,
];

export function toExportRecord(row: ContactRow): ExportRecord {
  return [
    row.id,
    row.customer_id,
    row.customer_name,
    row.customer_type,
    row.first_name,
    row.last_name,
    row.email,
    row.phone,
    row.role,
    row.addresses.map((address) => address.summary),
    row.id_crm,
    row.id_erp,
    row.id_accounting,
    row.created_at,
    row.updated_at,
  ];
}

export function fromExportRecord(record: ExportRecord): ContactRow {
  const [
    id,
    customerId,
    customerName,
    customerType,
    firstName,
    lastName,
    email,
    phone,
    roles,
    addresses,
    idCrm,
    idErp,
    idAccounting,
    createdAt,
    updatedAt,
  ] = record;
  return {
    id,
    customer_id: customerId,
    customer_name: customerName,
    customer_type: customerType,
    first_name: firstName,
    last_name: lastName,
    email,
    phone,
    role: roles,
    addresses: addresses.map((summary) => ({ summary })),
    id_crm: idCrm,
    id_erp: idErp,
    id_accounting: idAccounting,
    created_at: createdAt,
    updated_at: updatedAt,
  };
}
