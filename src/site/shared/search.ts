/**
 * The directory's search: one compact text format written at build time and the matching run in the
 * browser. Pure functions, shared by the index builder (`search-data.ts`), the page script
 * (`search-ui.ts`) and the unit tests, so what is indexed and what is typed are folded the same way.
 *
 * Matching: every term of the query must match (AND). A word matches when it is the beginning of a word of
 * the contact's first or last name, email, customer name or roles (their value or their label in the site's
 * language), compared without case or accents
 * ("zoe" finds "Zoë", "nunez" finds "Ñúñez"). Digits typed with spaces or punctuation ("+33 6 12") form one
 * number that matches anywhere in the phone's digits, or the beginning of any number in the other fields.
 */

/** Letters that Unicode decomposition does not fold to ASCII. */
const EXTRA_FOLDS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};

/**
 * Printable ASCII, most of what is indexed (emails, most names): it only needs lower-casing, and skipping
 * Unicode normalisation for it makes indexing 100,000 contacts about twice as fast, which is what the first
 * query after the page opens waits for.
 */
const PLAIN = /^[\x20-\x7e]*$/;

/** Lower-cases and strips accents: "Ñúñez" → "nunez", "Straße" → "strasse". */
export function fold(text: string): string {
  if (PLAIN.test(text)) return text.toLowerCase();
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (letter) => EXTRA_FOLDS[letter] ?? letter);
}

/** The words of a text, folded: runs of letters and digits. */
export function words(text: string | null | undefined): string[] {
  if (!text) return [];
  if (PLAIN.test(text)) return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

export interface ParsedQuery {
  /** Folded words to match as word prefixes. */
  words: string[];
  /** Numbers typed with any spacing or punctuation, digits only. */
  numbers: string[];
}

/** Splits what was typed into terms; neighbouring numbers ("06 12 34") become one number ("061234"). */
export function parseQuery(query: string): ParsedQuery {
  const parsed: ParsedQuery = { words: [], numbers: [] };
  let pending = '';
  for (const word of words(query)) {
    if (/^\d+$/.test(word)) {
      pending += word;
      continue;
    }
    if (pending) parsed.numbers.push(pending);
    pending = '';
    parsed.words.push(word);
  }
  if (pending) parsed.numbers.push(pending);
  return parsed;
}

/**
 * What the browser keeps of one contact to match and show it. Its id (for the link to its row) is not
 * here: ids are half of the compressed bytes, so they live in chunks that load only for the results shown.
 */
export interface SearchContact {
  /** Index into `SearchHeader.customers`. */
  customer: number;
  name: string;
  email: string;
  phone: string;
  /** Indexes into `SearchHeader.roles`. */
  roles: number[];
  /** Indexes into `SearchHeader.countries`. */
  countries: number[];
  /** The phone's forms as read at publish, written by `encodeDial`; empty when it could not be read. */
  dial: string;
}

export interface SearchCustomer {
  id: string;
  /** What to show: the customer's name, or its id when the name could not be read. */
  name: string;
}

/** The header file: facets, customers and where the contact ids are. */
export interface SearchHeader {
  roles: string[];
  /** Each role of `roles` in the site's language ("decision maker", "décideur"): shown, and searched too. */
  roleLabels: string[];
  countries: string[];
  customers: SearchCustomer[];
  /** Contact ids in directory order, `per` to a file: contact `i` is line `i % per` of `files[⌊i / per⌋]`. */
  ids: { per: number; files: string[] };
}

/** One contact line: `customer⇥name⇥email⇥phone⇥roles⇥countries⇥dial` (lists comma-separated). */
export function formatContactLine(contact: SearchContact): string {
  return [
    contact.customer,
    clean(contact.name),
    clean(contact.email),
    clean(contact.phone),
    contact.roles.join(','),
    contact.countries.join(','),
    contact.dial,
  ].join('\t');
}

/** What the site needs of a phone number read at publish (`ParsedPhone` in `src/shared/schema.ts`). */
export interface DialInput {
  /** `+33120579457`. */
  e164: string;
  /** `01 20 57 94 57 ext. 10`. */
  national: string;
  extension: string | null;
}

/** A phone's forms for matching and dialling, as digits. */
export interface DialForms {
  /** `33120579457`: E.164 without its `+`. */
  international: string;
  /** `0120579457`: the national form's digits, without the extension. */
  national: string;
  extension: string;
  /** RFC 3966, as libphonenumber-js's `getURI()` gives it: `tel:+33120579457;ext=10`. */
  uri: string;
}

/**
 * The forms of a phone, written as a few characters relative to the digits of the phone as sent: shipping
 * the E.164 and national digits themselves would add about a third to the compressed search data, since
 * digits barely compress. `cc.prefix.start[.ext]` says that the number's national significant number starts
 * at digit `start` of the number as sent and runs to its extension (the last `ext` digits), that `cc` is its
 * country calling code and `prefix` what the national form puts before it (`0` in France). A number that
 * does not have that shape is written in full: `=international=national=extension`.
 */
export function encodeDial(phone: string, parsed: DialInput): string {
  const sent = phone.replace(/\D+/g, '');
  const international = parsed.e164.replace(/\D+/g, '');
  const extension = parsed.extension ?? '';
  const nationalAll = parsed.national.replace(/\D+/g, '');
  const national =
    extension && nationalAll.endsWith(extension) ? nationalAll.slice(0, -extension.length) : nationalAll;
  // Country calling codes have 1 to 3 digits; the shortest one after which the national form ends alike.
  for (let cc = 1; cc <= 3 && cc < international.length; cc++) {
    const significant = international.slice(cc);
    if (!national.endsWith(significant)) continue;
    const start = sent.length - extension.length - significant.length;
    if (start < 0 || sent.slice(start, start + significant.length) !== significant) break;
    if (!sent.endsWith(extension)) break;
    const prefix = national.slice(0, national.length - significant.length);
    const fields = [international.slice(0, cc), prefix, String(start)];
    if (extension) fields.push(String(extension.length));
    return fields.join('.');
  }
  return `=${international}=${national}=${extension}`;
}

/** The forms `encodeDial` wrote for the phone `phone`; null when the phone could not be read at publish. */
export function decodeDial(phone: string, dial: string): DialForms | null {
  if (!dial) return null;
  let international: string;
  let national: string;
  let extension: string;
  if (dial.startsWith('=')) {
    [, international = '', national = '', extension = ''] = dial.split('=');
  } else {
    const [cc = '', prefix = '', start = '0', extensionLength = '0'] = dial.split('.');
    const sent = phone.replace(/\D+/g, '');
    const cut = sent.length - Number(extensionLength);
    const significant = sent.slice(Number(start), cut);
    extension = sent.slice(cut);
    international = cc + significant;
    national = prefix + significant;
  }
  return {
    international,
    national,
    extension,
    uri: `tel:+${international}${extension ? `;ext=${extension}` : ''}`,
  };
}

function clean(value: string): string {
  return value.replace(/[\t\r\n]+/g, ' ');
}

/** One id file: the ids, one a line, as 32 hex digits (the dashes are put back on reading). */
export function formatIdLines(ids: readonly string[]): string {
  return `${ids.map((id) => id.replaceAll('-', '')).join('\n')}\n`;
}

export function parseIdLines(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((hex) =>
      /^[0-9a-f]{32}$/i.test(hex)
        ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
        : hex,
    );
}

function indexes(list: string | undefined): number[] {
  return list ? list.split(',').map(Number) : [];
}

/** Reads one contact line back; the inverse of `formatContactLine`. */
export function parseContactLine(line: string): SearchContact {
  const [customer = '0', name = '', email = '', phone = '', roles, countries, dial = ''] = line.split('\t');
  return {
    customer: Number(customer),
    name,
    email,
    phone,
    roles: indexes(roles),
    countries: indexes(countries),
    dial,
  };
}

/** Reads the contacts file back; the inverse of `formatContactLine` over lines. */
export function parseContactLines(text: string): SearchContact[] {
  return text.split('\n').filter(Boolean).map(parseContactLine);
}

/** A contact prepared for matching: its folded words, once, when the data loads. */
export interface IndexedContact {
  /** " word word … " over name, email, customer name and roles. */
  all: string;
  /** " word word … " over the name alone, to rank name matches first. */
  name: string;
  /** The phone's digits as sent, then its international and national digits when it was read at publish. */
  digits: string;
}

function spaced(list: string[]): string {
  return ` ${list.join(' ')} `;
}

/** The folded words of the header's customers and roles, worked out once for every contact that has them. */
export interface HeaderWords {
  customers: string[][];
  /** A role's value and its label in the site's language, each word once. */
  roles: string[][];
}

export function headerWords(data: SearchHeader): HeaderWords {
  return {
    customers: data.customers.map((customer) => words(customer.name)),
    roles: data.roles.map((role, index) => [...new Set([...words(role), ...words(data.roleLabels[index])])]),
  };
}

export function indexContact(
  contact: SearchContact,
  data: SearchHeader,
  known: HeaderWords = headerWords(data),
): IndexedContact {
  const name = words(contact.name);
  const roles = contact.roles.flatMap((role) => known.roles[role] ?? []);
  const customer = known.customers[contact.customer] ?? [];
  return {
    all: spaced([...name, ...words(contact.email), ...customer, ...roles]),
    name: spaced(name),
    digits: phoneDigits(contact),
  };
}

/** " sent international national": a typed number matches within any one of them, never across two. */
function phoneDigits(contact: SearchContact): string {
  const sent = contact.phone.replace(/\D+/g, '');
  const forms = decodeDial(contact.phone, contact.dial);
  return forms ? `${sent} ${forms.international} ${forms.national}` : sent;
}

export interface SearchFilters {
  /** Index into `roles`, or -1 for any. */
  role: number;
  /** Index into `countries`, or -1 for any. */
  country: number;
}

export interface SearchResult {
  /** Total number of matching contacts. */
  total: number;
  /** Indexes into `contacts` of the first `limit` matches, name matches first, then directory order. */
  hits: number[];
}

/**
 * Finds the contacts matching `query` and `filters`. `index[i]` must be `indexContact(contacts[i])`.
 * An empty query with no filter matches nothing; an empty query with a filter lists that facet.
 */
export function search(
  contacts: readonly SearchContact[],
  index: readonly IndexedContact[],
  query: string,
  filters: SearchFilters,
  limit: number,
): SearchResult {
  const parsed = parseQuery(query);
  const empty = parsed.words.length === 0 && parsed.numbers.length === 0;
  if (empty && filters.role < 0 && filters.country < 0) return { total: 0, hits: [] };
  const wordNeedles = parsed.words.map((word) => ` ${word}`);
  const numberNeedles = parsed.numbers.map((number) => ` ${number}`);
  const first: number[] = [];
  const rest: number[] = [];
  let total = 0;
  for (let i = 0; i < contacts.length; i++) {
    const entry = index[i];
    const contact = contacts[i];
    if (!entry || !contact) continue;
    if (filters.role >= 0 && !contact.roles.includes(filters.role)) continue;
    if (filters.country >= 0 && !contact.countries.includes(filters.country)) continue;
    let matches = true;
    for (const needle of wordNeedles) {
      if (!entry.all.includes(needle)) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    for (let n = 0; n < numberNeedles.length; n++) {
      const needle = numberNeedles[n] ?? '';
      if (!entry.digits.includes(needle.slice(1)) && !entry.all.includes(needle)) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    total++;
    if (first.length >= limit) continue;
    const byName = wordNeedles.length > 0 && wordNeedles.every((needle) => entry.name.includes(needle));
    if (byName) first.push(i);
    else if (rest.length < limit) rest.push(i);
  }
  return { total, hits: [...first, ...rest].slice(0, limit) };
}
