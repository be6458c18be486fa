/** The raw records the embedded API serves, as loose as the API may send them. */

/** Fields of a contact record; all optional and `unknown` since hostile and invalid records bend them. */
export interface RawContact {
  id?: unknown;
  workspace_id?: unknown;
  customer_id?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  email?: unknown;
  phone?: unknown;
  role?: unknown;
  id_crm?: unknown;
  id_erp?: unknown;
  id_accounting?: unknown;
  address_ids?: unknown;
  created_at?: unknown;
  updated_at?: unknown;
  /** Not in the docs: the client must keep fields it does not know. */
  locale?: unknown;
}

export interface RawCustomer {
  id: string;
  workspace_id?: string;
  name: string;
  type: string;
  segment_id: string | null;
  logo: string | null;
  tax_ids: { tax: string; tax_value: string }[];
  id_crm: string | null;
  id_erp: string | null;
  id_accounting: string | null;
  contact_ids?: string[];
  address_ids?: string[];
  created_at: string;
  updated_at: string;
}

export interface RawAddress {
  id: string;
  workspace_id?: string;
  customer_id: string;
  type: string | null;
  name: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
  contact_id: string | null;
  comment: string | null;
  id_crm: string | null;
  id_erp: string | null;
  id_accounting: string | null;
  created_at: string;
  updated_at: string;
}
