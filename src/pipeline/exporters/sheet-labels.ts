/**
 * The words of `contacts.xlsx`, which people open rather than scripts: sheet names, column headers, roles,
 * customer types, tax id kinds and the printed footer, in the site's language (`QWOTY_SITE_LANG`). The CSV
 * and JSON keep the English headers and the codes, which scripts read.
 *
 * The role and customer-type labels are the site's (`src/site/shared/i18n.ts`, which the pipeline may not
 * import): `test/exporters.test.ts` checks that the two say the same.
 */
import type { SiteLang } from '../../shared/locale.ts';

export interface SheetLabels {
  contacts: string;
  customers: string;
  /** Headers by column key; a key left out keeps the column's English header. */
  headers: Readonly<Record<string, string>>;
  /** A date column's header names the time zone: "{header} ({zone})". */
  dateHeader: string;
  roles: Readonly<Record<string, string>>;
  customerTypes: Readonly<Record<string, string>>;
  /** Tax id kinds as people write them; others are upper-cased ("siret" → "SIRET"). */
  taxes: Readonly<Record<string, string>>;
  /** The printed footer's left part: the snapshot's date and time, and its zone. */
  footer: string;
  /** The printed footer's right part; `&P` and `&N` are the page number and the page count. */
  page: string;
  /** The date cells' number format. */
  dateFormat: string;
}

export const SHEET_LABELS: Record<SiteLang, SheetLabels> = {
  en: {
    contacts: 'Contacts',
    customers: 'Customers',
    headers: {},
    dateHeader: '{header} ({zone})',
    roles: {
      buyer: 'buyer',
      signer: 'signer',
      billing: 'billing',
      shipping: 'shipping',
      legal: 'legal',
      admin: 'admin',
      decision_maker: 'decision maker',
      technical_contact: 'technical contact',
    },
    customerTypes: { company: 'company', individual: 'individual' },
    taxes: { vat: 'VAT' },
    footer: 'Snapshot of {date} ({zone})',
    page: 'Page &P of &N',
    dateFormat: 'yyyy-mm-dd hh:mm',
  },
  fr: {
    contacts: 'Contacts',
    customers: 'Clients',
    headers: {
      customer: 'Client',
      customer_type: 'Type de client',
      first_name: 'Prénom',
      last_name: 'Nom',
      email: 'E-mail',
      phone: 'Téléphone',
      roles: 'Rôles',
      addresses: 'Adresses',
      customer_id: 'Identifiant client',
      contact_id: 'Identifiant contact',
      id_crm: 'Identifiant CRM',
      id_erp: 'Identifiant ERP',
      id_accounting: 'Identifiant comptable',
      created_at: 'Créé le',
      updated_at: 'Modifié le',
      contact_count: 'Contacts',
      tax_ids: 'Identifiants fiscaux',
      street: 'Rue',
      postal_code: 'Code postal',
      city: 'Ville',
      region: 'Région',
      country: 'Pays',
    },
    dateHeader: '{header} ({zone})',
    roles: {
      buyer: 'acheteur',
      signer: 'signataire',
      billing: 'facturation',
      shipping: 'livraison',
      legal: 'juridique',
      admin: 'administrateur',
      decision_maker: 'décideur',
      technical_contact: 'contact technique',
    },
    customerTypes: { company: 'entreprise', individual: 'particulier' },
    taxes: { vat: 'TVA' },
    footer: 'Instantané du {date} ({zone})',
    page: 'Page &P sur &N',
    dateFormat: 'dd/mm/yyyy hh:mm',
  },
};

/** A role in words; an unknown code with its `_` as spaces ("key_account" → "key account"). */
export function roleLabel(labels: SheetLabels, role: string): string {
  return labels.roles[role] ?? role.replace(/_/g, ' ');
}

/** "VAT FR12345678901" / "TVA FR12345678901". */
export function taxLabel(labels: SheetLabels, tax: string): string {
  return labels.taxes[tax.toLowerCase()] ?? tax.toUpperCase();
}
