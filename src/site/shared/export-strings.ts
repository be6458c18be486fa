/**
 * Every word the export and address-book features show, in one table (English), so that it can join the
 * site's translation tables as it is. `{count}` is a number already formatted for the reader, `{file}` a
 * file name, `{name}` a contact's name, `{reason}` an error message. Entries that depend on a count have the
 * `Intl.PluralRules` categories of the language (English: `one` and `other`).
 */
import { formatCount } from './format.ts';

export type Plural = { one: string; other: string };

export const EXPORT_STRINGS = {
  /** The button under the search results. */
  downloadResults: { one: 'Download {count} result (CSV)', other: 'Download {count} results (CSV)' },
  /** The button of a filtered customer page. */
  downloadShown: {
    one: 'Download the {count} contact shown (CSV)',
    other: 'Download the {count} contacts shown (CSV)',
  },
  copyEmails: { one: 'Copy {count} email', other: 'Copy {count} emails' },
  /** The same button while the emails of a new search are counted. */
  copyEmailsCounting: 'Copy emails',
  preparing: {
    one: 'Preparing the CSV of {count} contact…',
    other: 'Preparing the CSV of {count} contacts…',
  },
  downloaded: {
    one: 'Downloaded {count} contact as {file}.',
    other: 'Downloaded {count} contacts as {file}.',
  },
  downloadFailed: 'The CSV could not be made ({reason}). Try again, or download the whole file instead.',
  copied: {
    one: 'Copied {count} email address to the clipboard.',
    other: 'Copied {count} email addresses to the clipboard, separated by commas.',
  },
  copyFailed: 'The emails could not be copied ({reason}).',
  /** The column of the contacts table holding each row's vCard link. */
  addressBookColumn: 'Address book',
  /** Each row's link: "Save contact", the contact's name for screen readers only, "(.vcf)". */
  saveContact: 'Save contact',
  saveContactSuffix: '(.vcf)',
  /** The link to the customer's whole vCard file. */
  saveAll: 'Save these contacts to an address book (.vcf)',
} as const;

const plurals = new Intl.PluralRules('en');

/** `entry` with its placeholders filled; `count` (a number) picks the plural form and fills `{count}`. */
export function exportText(
  entry: string | Plural,
  values: { count?: number; [name: string]: unknown } = {},
): string {
  const template =
    typeof entry === 'string' ? entry : plurals.select(values.count ?? 0) === 'one' ? entry.one : entry.other;
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    if (name === 'count' && values.count !== undefined) return formatCount(values.count, 'en-GB');
    const value = values[name];
    return value === undefined ? placeholder : String(value);
  });
}
