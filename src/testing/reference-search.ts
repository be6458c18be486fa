/**
 * The search the site ran before the packed index (`search-index.ts`), one object per contact: kept as the
 * reference the packed index is checked against (`test/site/search.test.ts` compares hits, order, counts and
 * facets on many queries), and by the export tests to work out what a query finds. No page runs it.
 */
import {
  allowedEdits,
  bestFirst,
  closeWords,
  type HeaderWords,
  headerWords,
  type ParsedQuery,
  parseQuery,
  phoneDigits,
  type SearchContact,
  type SearchFilters,
  type SearchHeader,
  type SearchResult,
  type Vocabulary,
  vocabularyFromWords,
  words,
} from '../site/shared/search.ts';

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

function count(counts: number[], indexes: readonly number[]): void {
  for (const index of indexes) counts[index] = (counts[index] ?? 0) + 1;
}

const vocabularies = new WeakMap<readonly IndexedContact[], Vocabulary>();

/**
 * The vocabulary of `index`, worked out on the first query that needs it and kept with the index: the words
 * of every name, and every word of the first contact of each customer and of each set of roles (customer
 * names and role labels are the same for all the others).
 */
export function vocabularyOf(
  contacts: readonly SearchContact[],
  index: readonly IndexedContact[],
): Vocabulary {
  const known = vocabularies.get(index);
  if (known) return known;
  const seen = new Set<string>();
  const customers = new Set<number>();
  const roleSets = new Set<string>();
  const add = (text: string) => {
    for (const word of text.split(' ')) if (word) seen.add(word);
  };
  for (let i = 0; i < index.length; i++) {
    const entry = index[i];
    const contact = contacts[i];
    if (!entry || !contact) continue;
    const roles = contact.roles.join(',');
    if (!customers.has(contact.customer) || !roleSets.has(roles)) {
      customers.add(contact.customer);
      roleSets.add(roles);
      add(entry.all);
    } else add(entry.name);
  }
  const vocabulary = vocabularyFromWords(seen);
  vocabularies.set(index, vocabulary);
  return vocabulary;
}

/**
 * Finds the contacts matching `query` and `filters`. `index[i]` must be `indexContact(contacts[i])`.
 * An empty query with no filter matches nothing; an empty query with a filter lists that facet. When the
 * words find nothing as typed, the contacts with the most words matching, as typed or within a few edits
 * (`allowedEdits`), are the result, marked `fuzzy`.
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
  if (empty && filters.role < 0 && filters.country < 0) {
    return { total: 0, hits: [], fuzzy: false, facets: { roles: [], countries: [] } };
  }
  const facets = { roles: [] as number[], countries: [] as number[] };
  const wordNeedles = parsed.words.map((word) => ` ${word}`);
  const wholeNeedles = parsed.words.map((word) => ` ${word} `);
  const numberNeedles = parsed.numbers.map((number) => ` ${number}`);
  // Whole words in the name, prefixes in the name, whole words elsewhere, prefixes elsewhere: at most
  // `limit` each, so ranking costs nothing on a query that matches most of the directory.
  const ranks: number[][] = [[], [], [], []];
  let total = 0;
  // Contacts the words match as typed, filters aside: a filter that leaves none is no reason to guess.
  let textMatched = 0;
  for (let i = 0; i < contacts.length; i++) {
    const entry = index[i];
    const contact = contacts[i];
    if (!entry || !contact) continue;
    let matches = true;
    for (const needle of wordNeedles) {
      if (!entry.all.includes(needle)) {
        matches = false;
        break;
      }
    }
    if (!matches || !numbersMatch(entry, numberNeedles)) continue;
    textMatched++;
    const roleKept = filters.role < 0 || contact.roles.includes(filters.role);
    const countryKept = filters.country < 0 || contact.countries.includes(filters.country);
    if (countryKept) count(facets.roles, contact.roles);
    if (roleKept) count(facets.countries, contact.countries);
    if (!roleKept || !countryKept) continue;
    total++;
    const byName = wordNeedles.length > 0 && wordNeedles.every((needle) => entry.name.includes(needle));
    const whole = wholeNeedles.every((needle) => entry.all.includes(needle));
    const rank = ranks[(byName ? 0 : 2) + (whole ? 0 : 1)];
    if (rank && rank.length < limit) rank.push(i);
  }
  if (textMatched > 0 || !parsed.words.some((word) => allowedEdits(word.length) > 0)) {
    return { total, hits: ranks.flat().slice(0, limit), fuzzy: false, facets };
  }
  return closestMatches(contacts, index, parsed, numberNeedles, filters, limit);
}

function numbersMatch(entry: IndexedContact, numberNeedles: readonly string[]): boolean {
  for (const needle of numberNeedles) {
    if (!entry.digits.includes(needle.slice(1)) && !entry.all.includes(needle)) return false;
  }
  return true;
}

/** The fallback of `search`: contacts ranked by words matched, then by how well (whole, prefix, close). */
function closestMatches(
  contacts: readonly SearchContact[],
  index: readonly IndexedContact[],
  parsed: ParsedQuery,
  numberNeedles: readonly string[],
  filters: SearchFilters,
  limit: number,
): SearchResult {
  const vocabulary = vocabularyOf(contacts, index);
  const terms = parsed.words.map((word) => ({
    prefix: ` ${word}`,
    whole: ` ${word} `,
    close: closeWords(word, vocabulary).map((close) => ` ${close} `),
  }));
  const found: number[] = [];
  const keys: number[] = [];
  const facets = { roles: [] as number[], countries: [] as number[] };
  for (let i = 0; i < contacts.length; i++) {
    const entry = index[i];
    const contact = contacts[i];
    if (!entry || !contact) continue;
    let matched = 0;
    let quality = 0;
    let inName = 0;
    for (const term of terms) {
      if (entry.all.includes(term.prefix)) {
        matched++;
        quality += entry.all.includes(term.whole) ? 3 : 2;
        if (entry.name.includes(term.prefix)) inName++;
        continue;
      }
      for (const close of term.close) {
        if (entry.all.includes(close)) {
          matched++;
          quality += 1;
          if (entry.name.includes(close)) inName++;
          break;
        }
      }
    }
    if (matched === 0 || !numbersMatch(entry, numberNeedles)) continue;
    const roleKept = filters.role < 0 || contact.roles.includes(filters.role);
    const countryKept = filters.country < 0 || contact.countries.includes(filters.country);
    if (countryKept) count(facets.roles, contact.roles);
    if (roleKept) count(facets.countries, contact.countries);
    if (!roleKept || !countryKept) continue;
    found.push(i);
    keys.push(matched * 10_000 + quality * 100 + inName);
  }
  return {
    total: found.length,
    hits: bestFirst(found, keys, limit),
    fuzzy: true,
    facets,
  };
}
