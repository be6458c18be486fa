/**
 * Data quality: findings a person can fix in Qwoty (missing or malformed emails and phones, emails shared by
 * several contacts, customers that could not be named), customers whose details were not read again for too
 * long, and the records validation set aside.
 */
import type { NormalisedField, Reject } from '../../shared/schema/api.ts';
import type { Snapshot, SnapshotContact } from '../../shared/schema/published.ts';
import type { QualityKind, QualityReport } from '../../shared/schema/reports.ts';
import { assessFreshness } from '../freshness.ts';
import { refOf } from './changes.ts';

/** Default of QWOTY_CUSTOMER_MAX_AGE_DAYS. */
export const DEFAULT_CUSTOMER_MAX_AGE_DAYS = 7;

const DAY_MS = 86_400_000;

/** Pragmatic, not RFC 5322: one @, no spaces, a dot in the domain. What a mail client would accept. */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export function isMalformedEmail(email: string): boolean {
  return !EMAIL.test(email.trim());
}

export interface QualityInputs {
  /** Fields of published records mapped from an alternate shape or published empty. */
  normalised?: readonly NormalisedField[] | undefined;
  /** Why a customer could not be named (not found, forbidden, set aside), by id: said in its findings. */
  unreadableCustomers?: ReadonlyMap<string, string> | undefined;
  /** A customer last read from the API longer ago than this, before the snapshot, is a finding. Default 7. */
  customerMaxAgeDays?: number | undefined;
}

export function assessQuality(
  snapshot: Snapshot,
  rejects: readonly Reject[],
  {
    normalised = [],
    unreadableCustomers = new Map(),
    customerMaxAgeDays = DEFAULT_CUSTOMER_MAX_AGE_DAYS,
  }: QualityInputs = {},
): QualityReport {
  const findings = contactFindings(snapshot, {
    unreadableCustomers,
    staleSince: staleCustomers(snapshot, customerMaxAgeDays),
  });
  return {
    schema_version: 1,
    generated_at: snapshot.generated_at,
    totals: {
      contacts: snapshot.contacts.length,
      ...countKinds(findings),
      rejected: rejects.length,
      normalised: normalised.length,
    },
    freshness: assessFreshness(snapshot),
    findings,
    rejected: rejects.map(({ record: _record, ...reject }) => reject),
    normalised: [...normalised],
  };
}

/** Per customer, once: when its details were read, if that was too long before the snapshot. */
function staleCustomers(snapshot: Snapshot, customerMaxAgeDays: number): Map<string, string> {
  const taken = Date.parse(snapshot.generated_at);
  const staleSince = new Map<string, string>();
  for (const customer of snapshot.customers) {
    const read = customer.fetched_at ? Date.parse(customer.fetched_at) : Number.NaN;
    if (customer.fetched_at && taken - read > customerMaxAgeDays * DAY_MS) {
      const days = Math.floor((taken - read) / DAY_MS);
      staleSince.set(customer.id, `${customer.fetched_at.slice(0, 10)} (${days} days before this snapshot)`);
    }
  }
  return staleSince;
}

/** Every finding about the snapshot's contacts, in contact order, then the duplicate emails by email. */
function contactFindings(
  snapshot: Snapshot,
  customers: { unreadableCustomers: ReadonlyMap<string, string>; staleSince: ReadonlyMap<string, string> },
): QualityReport['findings'] {
  const findings: QualityReport['findings'] = [];
  const add = (contact: SnapshotContact, kind: QualityKind, detail: string) =>
    findings.push({ ...refOf(contact), kind, detail });
  const byEmail = new Map<string, SnapshotContact[]>();
  for (const contact of snapshot.contacts) {
    const email = contact.email?.trim() ?? '';
    const phone = contact.phone?.trim() ?? '';
    if (!email && !phone) add(contact, 'missing_email_and_phone', 'no email and no phone');
    else if (!email) add(contact, 'missing_email', 'no email');
    else if (!phone) add(contact, 'missing_phone', 'no phone');
    if (email && isMalformedEmail(email)) add(contact, 'malformed_email', email);
    // A phone is malformed when libphonenumber-js could not read it at publish (`phone.ts`): the site shows it
    // as sent, without a link.
    if (phone && !contact.phone_parsed) add(contact, 'malformed_phone', phone);
    if (email) {
      const key = email.toLowerCase();
      const group = byEmail.get(key);
      if (group) group.push(contact);
      else byEmail.set(key, [contact]);
    }
    if (contact.customer_name === null) {
      const why = customers.unreadableCustomers.get(contact.customer_id);
      add(contact, 'unnamed_customer', `customer ${contact.customer_id}${why ? `: ${why}` : ''}`);
    }
    const stale = customers.staleSince.get(contact.customer_id);
    if (stale !== undefined) add(contact, 'stale_customer', stale);
  }
  for (const [email, group] of byEmail) {
    if (group.length < 2) continue;
    for (const contact of group) add(contact, 'duplicate_email', `${email} (${group.length} contacts)`);
  }
  return findings;
}

/** How many findings of each kind, in one pass. */
function countKinds(findings: QualityReport['findings']): Record<QualityKind, number> {
  const counts: Record<QualityKind, number> = {
    missing_email: 0,
    missing_phone: 0,
    missing_email_and_phone: 0,
    malformed_email: 0,
    malformed_phone: 0,
    duplicate_email: 0,
    unnamed_customer: 0,
    stale_customer: 0,
  };
  for (const finding of findings) counts[finding.kind] += 1;
  return counts;
}

/** What a quality report counts of each kind: its findings about contacts, then what validation set aside. */
export type QualityCountKind = QualityKind | 'rejected' | 'normalised';

/**
 * The counts of a quality report, worked out once so that everything that shows them agrees: the home page,
 * the quality page's summary table, the rows of `quality.csv` and the nightly run's printed line.
 */
export interface QualityCounts {
  /** Per kind: contacts with that finding, records set aside (`rejected`), fields normalised. */
  kinds: Record<QualityCountKind, number>;
  /** Every finding of every kind: the sum of `kinds`, and the data rows of `quality.csv`. */
  total: number;
  /** Contacts with at least one finding. */
  contacts: number;
}

export function qualityCounts(report: Pick<QualityReport, 'totals' | 'findings'>): QualityCounts {
  const { contacts: _contacts, ...kinds } = report.totals;
  const total = Object.values(kinds).reduce((sum, count) => sum + count, 0);
  return { kinds, total, contacts: new Set(report.findings.map((finding) => finding.id)).size };
}
