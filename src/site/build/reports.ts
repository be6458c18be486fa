/**
 * What the change and quality pages need beyond the reports themselves: the plain-language text of each
 * finding, field names in words, links to contacts that still exist, and the cap on rows per table.
 */
import { REPORT_ROW_LIMIT } from '../../consts.ts';
import type { ContactRef, QualityKind, QualityReport } from '../../shared/schema.ts';
import type { Directory } from './directory.ts';

/** One cell of a report table: text (or lines, shown as a list), linked when `href` is set. */
export interface ReportCell {
  text: string | string[];
  href?: string | undefined;
  /** Shown as code (ids). */
  code?: boolean;
}

/** A row: the first cell is its header (`<th scope="row">`). */
export type ReportRow = [ReportCell, ...ReportCell[]];

/** The first `limit` rows and how many were left out. */
export function capRows<T>(rows: readonly T[], limit = REPORT_ROW_LIMIT): { shown: T[]; more: number } {
  return { shown: rows.slice(0, limit), more: Math.max(0, rows.length - limit) };
}

/** The contact's row on its customer page, when the contact is in this snapshot. */
export function contactHref(directory: Directory, contactId: string): string | undefined {
  const customerId = directory.customerOfContact.get(contactId);
  return customerId === undefined ? undefined : `/customers/${customerId}/#contact-${contactId}`;
}

/** The customer's page, when the customer is in this snapshot. */
export function customerHref(directory: Directory, customerId: string): string | undefined {
  return directory.byId.has(customerId) ? `/customers/${customerId}/` : undefined;
}

/** What to call a customer: its name now, else the name the report recorded, else its id. */
export function customerLabel(directory: Directory, id: string, recorded: string | null): string {
  return directory.byId.get(id)?.name ?? (recorded?.trim() || `Customer ${id}`);
}

/** The contact and customer cells of a report row. */
export function contactCells(directory: Directory, ref: ContactRef, linkContact = true): ReportRow {
  return [
    { text: ref.name, href: linkContact ? contactHref(directory, ref.id) : undefined },
    {
      text: customerLabel(directory, ref.customer_id, ref.customer_name),
      href: customerHref(directory, ref.customer_id),
    },
  ];
}

const FIELD_LABELS: Record<string, string> = {
  id: 'id',
  workspace_id: 'workspace',
  customer_id: 'customer',
  customer_name: 'customer name',
  first_name: 'first name',
  last_name: 'last name',
  email: 'email',
  phone: 'phone',
  role: 'roles',
  id_crm: 'CRM id',
  id_erp: 'ERP id',
  id_accounting: 'accounting id',
  address_ids: 'addresses',
  addresses: 'addresses',
  created_at: 'creation date',
};

/** Changed fields in words, each once: `["address_ids", "addresses", "first_name"]` → "addresses, first name". */
export function fieldsInWords(fields: readonly string[]): string {
  return [...new Set(fields.map((field) => FIELD_LABELS[field] ?? field.replace(/_/g, ' ')))].join(', ');
}

export interface FindingKindText {
  title: string;
  /** What the finding means, in a sentence or two. */
  means: string;
  /** What to do about it in Qwoty. */
  todo: string;
  /** Header of the detail column, when the detail says more than the kind. */
  detail?: string;
}

/** Each kind of finding, in the order the reports list them, explained for the person who fixes it. */
export const FINDING_KINDS: Record<QualityKind, FindingKindText> = {
  missing_email: {
    title: 'Missing email',
    means: 'The contact has a phone number but no email address, so nobody can write to them from here.',
    todo: 'Open the contact in Qwoty and add their email address.',
  },
  missing_phone: {
    title: 'Missing phone',
    means: 'The contact has an email address but no phone number.',
    todo: 'Open the contact in Qwoty and add their phone number.',
  },
  missing_email_and_phone: {
    title: 'Missing email and phone',
    means: 'The contact has neither an email address nor a phone number: there is no way to reach them.',
    todo: 'Add at least one of the two in Qwoty, or delete the contact there if the person has left.',
  },
  malformed_email: {
    title: 'Malformed email',
    means:
      'The email address is not one a mail program would accept: it lacks an @ or a dot in the domain, or holds a space.',
    todo: 'Correct the address on the contact in Qwoty.',
    detail: 'Email as recorded',
  },
  malformed_phone: {
    title: 'Malformed phone',
    means:
      'The phone number holds something other than digits and the usual separators, or has fewer than 6 or more than 15 digits.',
    todo: 'Correct the number in Qwoty, in international form (+33 6 12 34 56 78) where you can.',
    detail: 'Phone as recorded',
  },
  duplicate_email: {
    title: 'Shared email',
    means:
      'Several contacts have the same email address (ignoring case): one person entered twice, or colleagues sharing a mailbox.',
    todo: 'Merge the duplicates in Qwoty, or give each person their own address.',
    detail: 'Shared email',
  },
  unnamed_customer: {
    title: 'Customer without a name',
    means:
      "The contact's customer could not be read from Qwoty (the API token may not read customers, the customer was deleted, or the nightly run ran out of the API's quota before reaching it on its first night), so the directory shows it by its id.",
    todo: 'Check that the API token may read customers (Settings → Developer → API Tokens) and that the customer still exists. A customer the quota left out is looked up first on the next night.',
  },
  stale_customer: {
    title: 'Customer details not refreshed',
    means:
      "The customer's details (its name, type and ids) were last read from Qwoty longer ago than the nightly run allows (QWOTY_CUSTOMER_MAX_AGE_DAYS): the API's rate limit left no time to read it again, or reading it kept failing, so the directory shows what was read then. The contacts themselves are current.",
    todo: "Nothing in Qwoty: raise the API quota or the run's deadline (QWOTY_DEADLINE_MINUTES), or look at the nightly run's warnings for a customer whose look-up keeps failing.",
    detail: 'Details read',
  },
};

export const REJECTED_TEXT = {
  title: 'Rejected records',
  means:
    'Records the API sent that failed validation, for example without a readable id, or a contact with neither a name nor an email. They are left out of the directory and of every download; their raw values stay in rejects.json beside the snapshot, which this site never publishes.',
  todo: 'Find each record in Qwoty by its id and fix what the reasons say; it comes back with the next nightly run.',
} as const;

/** The anchor of a kind's section: `missing_email` → `missing-email`. */
export function kindSlug(kind: QualityKind | 'rejected'): string {
  return kind.replace(/_/g, '-');
}

/** The findings of each kind, in report order, grouped in one pass. */
export function findingsByKind(
  findings: QualityReport['findings'],
): Map<QualityKind, QualityReport['findings']> {
  const groups = new Map<QualityKind, QualityReport['findings']>();
  for (const finding of findings) {
    const group = groups.get(finding.kind);
    if (group) group.push(finding);
    else groups.set(finding.kind, [finding]);
  }
  return groups;
}
