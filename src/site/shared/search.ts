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
  /** Its type in the site's language ("company", "société"); empty when unknown. Absent in older data. */
  type?: string;
  /** How many contacts it has. Absent in older data. */
  contacts?: number;
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

/** What the site needs of a phone number read at publish (`ParsedPhone` in `src/shared/schema/published.ts`). */
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

/**
 * The accented Latin letters (Latin-1 and Latin Extended-A), most of what is not ASCII in names and emails,
 * with what `fold` makes of each: folding them one by one gives what folding the whole text gives, without
 * Unicode normalisation, which was most of the cost of reading the contacts.
 */
const LATIN = /[\u00c0-\u017f]/g;
const LATIN_FOLDS = new Map(
  Array.from({ length: 0x17f - 0xc0 + 1 }, (_, offset) => {
    const letter = String.fromCharCode(0xc0 + offset);
    return [letter, fold(letter)];
  }),
);

/** `text` with its accented Latin letters folded one by one, as `fold` folds them; nothing else changed. */
export function foldLatin(text: string): string {
  return text.replace(LATIN, (letter) => LATIN_FOLDS.get(letter) ?? letter);
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

/** " sent international national": a typed number matches within any one of them, never across two. */
export function phoneDigits(contact: SearchContact): string {
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
  /**
   * Indexes into `contacts` of the first `limit` matches: whole words before prefixes, names before other
   * fields, then directory order; among close matches, more matched words first, then exact, prefix, close.
   */
  hits: number[];
  /** True when the words found nothing as typed, and `hits` are the closest matches (typos forgiven). */
  fuzzy: boolean;
  /**
   * For each role (by index into `roles`), how many of the query's matches have it and pass the country
   * filter: what choosing that role would show; likewise for each country with the role filter. Empty for
   * an empty query without filters.
   */
  facets: { roles: number[]; countries: number[] };
}

/** How many edits a typed word may be off by: one from 4 characters, two from 8, none below. */
export function allowedEdits(length: number): number {
  return length >= 8 ? 2 : length >= 4 ? 1 : 0;
}

/**
 * The Damerau-Levenshtein distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
 * neighbours, each one edit; the optimal-string-alignment form), or `max + 1` as soon as it must exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const width = b.length + 1;
  let beforePrevious = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const bj = b.charCodeAt(j - 1);
      const cost = ai === bj ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        value = Math.min(value, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return Math.min(previous[b.length] ?? max + 1, max + 1);
}

/**
 * The distinct words of an index, by length, each with the set of its characters as bits: what a typo is
 * compared against.
 *
 * Why Damerau-Levenshtein over this vocabulary, and not `@leeoniya/ufuzzy`: both were measured over the
 * vocabulary of 100,000 fixture contacts (about 113,000 distinct words) with 46 misspelt words (a letter
 * dropped, swapped with its neighbour or changed; "girad", "lefebvre"). ufuzzy's `filter` (`intraMode: 1`,
 * one error per term, its matches then checked for the allowed distance) took over a hundred times as long
 * per word as this loop, which skips a word when its length or its set of characters alone rules it out
 * (`letterBits`) and stops a comparison once a row exceeds the allowed edits. ufuzzy also found fewer of the
 * intended words (29 against 35): it allows one error per term, where a word of 8 characters or more may be
 * two edits off here ("lefebvre" for "Lefèvre"), and it would have added about 8 kB (minified) to the page's script.
 * Building the vocabulary is the costly part, so it is done once, when the page is idle after loading.
 */
export interface Vocabulary {
  byLength: Map<number, { words: string[]; letters: Int32Array }>;
}

/**
 * The characters of `word` as bits (a to z, then the rest by their code modulo 6). An edit changes at most two
 * bits, so words whose bits differ in more than twice the allowed edits are skipped without comparing them.
 */
export function letterBits(word: string): number {
  let bits = 0;
  for (let i = 0; i < word.length; i++) {
    const code = word.charCodeAt(i);
    bits |= 1 << (code >= 97 && code <= 122 ? code - 97 : 26 + (code % 6));
  }
  return bits;
}

function bitCount(value: number): number {
  let bits = value - ((value >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The vocabulary of a set of distinct folded words. */
export function vocabularyFromWords(seen: Iterable<string>): Vocabulary {
  const grouped = new Map<number, string[]>();
  for (const word of seen) {
    const list = grouped.get(word.length);
    if (list) list.push(word);
    else grouped.set(word.length, [word]);
  }
  const byLength = new Map(
    [...grouped].map(([length, words]) => [length, { words, letters: Int32Array.from(words, letterBits) }]),
  );
  return { byLength };
}

/** The words of `vocabulary` within `allowedEdits(word.length)` edits of `word`, other than `word` itself. */
export function closeWords(word: string, vocabulary: Vocabulary): string[] {
  const max = allowedEdits(word.length);
  if (max === 0) return [];
  const bits = letterBits(word);
  const close: string[] = [];
  for (let length = word.length - max; length <= word.length + max; length++) {
    const group = vocabulary.byLength.get(length);
    if (!group) continue;
    const { words, letters } = group;
    for (let i = 0; i < words.length; i++) {
      if (bitCount(bits ^ (letters[i] ?? 0)) > 2 * max) continue;
      const candidate = words[i] ?? '';
      if (candidate !== word && editDistance(word, candidate, max) <= max) close.push(candidate);
    }
  }
  return close;
}

/**
 * The first `limit` of `found` (contact indexes), highest `keys` first (one key per found contact: how many
 * typed words it matched, how closely, and how many in its name), in the directory's order on a tie.
 */
export function bestFirst(found: readonly number[], keys: readonly number[], limit: number): number[] {
  const order = found.map((_, position) => position);
  order.sort((a, b) => (keys[b] ?? 0) - (keys[a] ?? 0) || a - b);
  return order.slice(0, limit).map((position) => found[position] ?? 0);
}

/**
 * The customers whose name matches every word of `query` (as word prefixes, like contacts), in directory
 * order, at most `limit`; `total` counts them all. A query with a number matches no customer.
 */
export function searchCustomers(
  known: HeaderWords,
  query: string,
  limit: number,
): { total: number; hits: number[] } {
  const parsed = parseQuery(query);
  if (parsed.words.length === 0 || parsed.numbers.length > 0) return { total: 0, hits: [] };
  const hits: number[] = [];
  let total = 0;
  known.customers.forEach((name, customer) => {
    if (!parsed.words.every((word) => name.some((part) => part.startsWith(word)))) return;
    total++;
    if (hits.length < limit) hits.push(customer);
  });
  return { total, hits };
}
