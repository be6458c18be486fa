/**
 * What the change and quality pages need beyond the reports themselves: the plain-language text of each
 * finding and field names in words (from the site's language table), links to contacts that still exist,
 * and the cap on rows per table.
 */
import { REPORT_ROW_LIMIT } from '../../consts.ts';
import type { ChangedValue, ContactRef, QualityKind, QualityReport } from '../../shared/schema/reports.ts';
import { en } from '../shared/i18n.ts';
import { siteUrl } from '../shared/site-url.ts';

export { type QualityCounts, qualityCounts } from '../../pipeline/reports/quality.ts';

import type { StringKey, Text } from '../shared/text.ts';
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
  return customerId === undefined ? undefined : siteUrl(`/customers/${customerId}/#contact-${contactId}`);
}

/** The customer's page, when the customer is in this snapshot. */
export function customerHref(directory: Directory, customerId: string): string | undefined {
  return directory.byId.has(customerId) ? siteUrl(`/customers/${customerId}/`) : undefined;
}

/** What to call a customer: its name now, else the name the report recorded, else its id. */
export function customerLabel(directory: Directory, text: Text, id: string, recorded: string | null): string {
  return directory.byId.get(id)?.name ?? (recorded?.trim() || text.t('customer.fallbackName', { id }));
}

/** The contact and customer cells of a report row. */
export function contactCells(
  directory: Directory,
  text: Text,
  ref: ContactRef,
  linkContact = true,
): ReportRow {
  return [
    { text: ref.name, href: linkContact ? contactHref(directory, ref.id) : undefined },
    {
      text: customerLabel(directory, text, ref.customer_id, ref.customer_name),
      href: customerHref(directory, ref.customer_id),
    },
  ];
}

/** Changed fields in words, each once: `["address_ids", "addresses", "first_name"]` → "addresses, first name". */
export function fieldsInWords(text: Text, fields: readonly string[]): string {
  return [...new Set(fields.map((field) => text.value('field', field)))].join(', ');
}

/**
 * Changed fields with their values, one line each: "email: old@example.com → new@example.com". The address
 * ids are left out when the addresses themselves are listed: the same change, in words.
 */
export function changedValuesInWords(text: Text, values: readonly ChangedValue[]): string[] {
  const fields = new Set(values.map((value) => value.field));
  return values
    .filter((value) => !(value.field === 'address_ids' && fields.has('addresses')))
    .map((value) => {
      // Roles are codes in the report ("decision_maker, legal"): in words here, as everywhere on the site.
      const words = (side: string | null) =>
        side === null
          ? text.t('changes.emptyValue')
          : value.field === 'role'
            ? side
                .split(', ')
                .map((role) => text.value('role', role))
                .join(', ')
            : side;
      return text.t('changes.value', {
        field: text.value('field', value.field),
        old: words(value.old),
        new: words(value.new),
      });
    });
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

/** The kinds whose detail (the value as recorded) gets a column, and its header. */
const DETAIL_HEADERS = {
  malformed_email: 'finding.malformed_email.detail',
  malformed_phone: 'finding.malformed_phone.detail',
  duplicate_email: 'finding.duplicate_email.detail',
  stale_customer: 'finding.stale_customer.detail',
} as const satisfies Partial<Record<QualityKind, StringKey>>;

/** A kind of finding (or the rejected records) explained for the person who fixes it. */
export function findingText(text: Text, kind: QualityKind | 'rejected' | 'normalised'): FindingKindText {
  const detail = kind in DETAIL_HEADERS ? DETAIL_HEADERS[kind as keyof typeof DETAIL_HEADERS] : undefined;
  return {
    title: text.t(`finding.${kind}.title`),
    means: text.t(`finding.${kind}.means`),
    todo: text.t(`finding.${kind}.todo`),
    ...(detail ? { detail: text.t(detail) } : {}),
  };
}

export const NORMALISED_TEXT = {
  title: 'Fields normalised',
  means:
    'Fields the API sent in another shape than documented. Where the docs show that other shape elsewhere (a role as one word, tax ids as code and value, a logo as url and alt text), it was read as the documented one; otherwise the field was published empty. The record itself is in the directory either way.',
  todo: 'Where a field was published empty, open the record in Qwoty and correct that field.',
} as const;

/** The anchor of a kind's section: `missing_email` → `missing-email`. */
export function kindSlug(kind: QualityKind | 'rejected' | 'normalised'): string {
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

/** The English forms of the reasons (`reason.*` of `i18n.ts`) as patterns, their placeholders captured. */
const REASONS = Object.entries(en)
  .filter(([key]) => key.startsWith('reason.'))
  .map(([key, english]) => {
    const names: string[] = [];
    const source = String(english)
      .split(/(\{\w+\})/)
      .map((part) => {
        const placeholder = /^\{(\w+)\}$/.exec(part);
        if (!placeholder) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(placeholder[1] ?? '');
        return '(.+?)';
      })
      .join('');
    const literal = String(english).replace(/\{\w+\}/g, '').length;
    return { key: key as StringKey, names, literal, pattern: new RegExp(`^${source}$`, 's') };
  })
  // The most specific form first: "expected a UUID; set aside…" is a withheld record, not "expected {value}".
  .sort((a, b) => b.literal - a.literal);

/** Longer than any reason the pipeline writes with its values filled in. */
const MAX_REASON_CHARS = 500;

/**
 * A reason of quality.json (a reject's issue, a normalised field's reason), which the pipeline writes in
 * English for scripts, in the site's language: matched against the English forms of `reason.*`, its values
 * (a JSON type, an inner reason) in words too. A reason no form matches is shown as written.
 */
export function reasonText(text: Text, reason: string): string {
  // The forms' lazy groups could backtrack on a long hostile value: a reason longer than any the pipeline
  // writes (its values are JSON type names and short inner reasons) is shown as written.
  if (text.lang === 'en' || reason.length > MAX_REASON_CHARS) return reason;
  for (const { key, names, pattern } of REASONS) {
    const match = pattern.exec(reason);
    if (!match) continue;
    const params = Object.fromEntries(
      names.map((name, index) => {
        const value = match[index + 1] ?? '';
        if (name === 'reason') return [name, reasonText(text, value)];
        if (name === 'expected' || name === 'received') return [name, text.value('jsonType', value)];
        return [name, value];
      }),
    );
    return text.t(key, params);
  }
  return reason;
}

/** A reject's issue in words: the field's name, then its reason. */
export function issueText(text: Text, issue: { path: string; message: string }): string {
  if (text.lang === 'en') return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
  const reason = reasonText(text, issue.message);
  if (!issue.path) return reason;
  const field = issue.path === '(record)' ? text.value('entity', 'record') : text.value('field', issue.path);
  return `${field}${text.t('home.colon')}${reason}`;
}
