/**
 * The search index the browser keeps: the contacts file as it came, and one folded copy of it, with the
 * positions of each contact's fields in typed arrays. No object or string per contact: a word is found by
 * `indexOf` over the one folded string and its position mapped to its contact, which is what lets 100,000
 * contacts be read within a second of the page opening on a slow machine and a one-letter query answer in a
 * few milliseconds. It finds exactly what `search` in `src/testing/reference-search.ts` finds over `indexContact`'s entries (the
 * unit tests compare the two over the same contacts); that simple form stays as the reference.
 */
import {
  allowedEdits,
  bestFirst,
  closeWords,
  fold,
  foldLatin,
  type HeaderWords,
  headerWords,
  letterBits,
  type ParsedQuery,
  parseContactLine,
  parseQuery,
  phoneDigits,
  type SearchContact,
  type SearchFilters,
  type SearchHeader,
  type SearchResult,
  type Vocabulary,
} from './search.ts';

export interface SearchIndex {
  header: SearchHeader;
  /** The header's words, for matching customers and roles. */
  known: HeaderWords;
  /** How many contacts. */
  size: number;
  /** The contacts file; contact `i` is `raw.slice(rawStarts[i], rawStarts[i + 1] - 1)`. */
  raw: string;
  rawStarts: Int32Array;
  /** The contacts file folded (`fold`); the name of contact `i` is `folded.slice(nameStart[i], nameEnd[i])`. */
  folded: string;
  nameStart: Int32Array;
  nameEnd: Int32Array;
  /** Where its email ends: name and email are the only fields of the folded text that are searched. */
  emailEnd: Int32Array;
  customer: Int32Array;
  /** Index into `roleSets`: contacts share their lists of roles and countries. */
  roleSet: Int32Array;
  roleSets: number[][];
  countrySet: Int32Array;
  countrySets: number[][];
  /** The phones' digits (`phoneDigits`), one contact a line: worked out when idle or on the first number. */
  digits?: { text: string; starts: Int32Array };
  vocabulary?: Vocabulary;
}

/** What makes a `SearchIndex` from the contacts file, a piece of whole lines at a time. */
export interface IndexBuilder {
  /** Reads whole lines (each ending with a newline). */
  add: (lines: string) => void;
  finish: () => SearchIndex;
}

function grow(array: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed <= array.length) return array;
  const bigger = new Int32Array(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** A word character of folded text: what `words` keeps (`[\p{L}\p{N}]`), quick for ASCII. */
const WORD = /^[\p{L}\p{N}]$/u;

function isWordAt(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
  if (code >= 0xdc00 && code <= 0xdfff && position > 0) {
    const before = text.codePointAt(position - 1) ?? 0;
    if (before > 0xffff) return WORD.test(String.fromCodePoint(before));
  }
  return WORD.test(String.fromCodePoint(text.codePointAt(position) ?? 0));
}

const NON_ASCII = /[\u0080-\uffff]/g;

/**
 * Whole lines folded as `fold` folds each of their fields: accented Latin letters one by one, the few lines
 * left with other letters through `fold`, and the rest (nearly all) lower-cased in one go.
 */
export function foldLines(text: string): string {
  const latin = foldLatin(text);
  const pieces: string[] = [];
  let from = 0;
  NON_ASCII.lastIndex = 0;
  for (let match = NON_ASCII.exec(latin); match; match = NON_ASCII.exec(latin)) {
    const start = latin.lastIndexOf('\n', match.index) + 1;
    let end = latin.indexOf('\n', match.index);
    if (end < 0) end = latin.length;
    pieces.push(
      latin.slice(from, start).toLowerCase(),
      latin.slice(start, end).split('\t').map(fold).join('\t'),
    );
    from = end;
    NON_ASCII.lastIndex = end;
  }
  pieces.push(latin.slice(from).toLowerCase());
  return pieces.join('');
}

/** Starts reading the contacts file of `header` into an index. */
export function indexBuilder(header: SearchHeader, known: HeaderWords = headerWords(header)): IndexBuilder {
  const expected = header.customers.reduce((sum, customer) => sum + (customer.contacts ?? 0), 0) + 1;
  const arrays = {
    rawStarts: new Int32Array(expected + 1),
    nameStart: new Int32Array(expected),
    nameEnd: new Int32Array(expected),
    emailEnd: new Int32Array(expected),
    customer: new Int32Array(expected),
    roleSet: new Int32Array(expected),
    countrySet: new Int32Array(expected),
  };
  const sets = { roles: new Map<string, number>(), countries: new Map<string, number>() };
  const roleSets: number[][] = [];
  const countrySets: number[][] = [];
  const setOf = (map: Map<string, number>, list: number[][], field: string) => {
    let found = map.get(field);
    if (found === undefined) {
      found = list.length;
      list.push(field ? field.split(',').map(Number) : []);
      map.set(field, found);
    }
    return found;
  };
  const raw: string[] = [];
  const folded: string[] = [];
  let rawLength = 0;
  let foldedLength = 0;
  let size = 0;
  const add = (lines: string) => {
    const foldedLines = foldLines(lines);
    const count = countLines(lines);
    for (const key of Object.keys(arrays) as Array<keyof typeof arrays>) {
      arrays[key] = grow(arrays[key], size + count + 1);
    }
    for (let at = 0, line = size; at < lines.length; line++) {
      arrays.rawStarts[line] = rawLength + at;
      at = lines.indexOf('\n', at) + 1 || lines.length;
    }
    let at = 0;
    for (let line = size; line < size + count; line++) {
      const [customer = 0, name = 0, email = 0, phone = 0, roles = 0, countries = 0, end = 0] = fieldEnds(
        foldedLines,
        at,
      );
      arrays.customer[line] = Number(foldedLines.slice(at, customer));
      arrays.nameStart[line] = foldedLength + customer + 1;
      arrays.nameEnd[line] = foldedLength + name;
      arrays.emailEnd[line] = foldedLength + email;
      arrays.roleSet[line] = setOf(sets.roles, roleSets, foldedLines.slice(phone + 1, roles));
      arrays.countrySet[line] = setOf(sets.countries, countrySets, foldedLines.slice(roles + 1, countries));
      at = end + 1;
    }
    raw.push(lines);
    folded.push(foldedLines);
    rawLength += lines.length;
    foldedLength += foldedLines.length;
    size += count;
  };
  const finish = (): SearchIndex => {
    arrays.rawStarts[size] = rawLength;
    return {
      header,
      known,
      size,
      raw: raw.join(''),
      folded: folded.join(''),
      ...arrays,
      roleSets,
      countrySets,
    };
  };
  return { add, finish };
}

const ends: number[] = [0, 0, 0, 0, 0, 0, 0];

/** The ends of the seven fields of the line at `at` (six tabs, then the newline or the text's end). */
function fieldEnds(text: string, at: number): number[] {
  const end = text.indexOf('\n', at);
  const lineEnd = end < 0 ? text.length : end;
  let from = at;
  for (let field = 0; field < 6; field++) {
    const tab = text.indexOf('\t', from);
    ends[field] = tab < 0 || tab > lineEnd ? lineEnd : tab;
    from = Math.min(lineEnd, (ends[field] ?? lineEnd) + 1);
  }
  ends[6] = lineEnd;
  return ends;
}

function countLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  if (text.length > 0 && !text.endsWith('\n')) count++;
  return count;
}

/** An index of `lines` read at once: what the tests and the export's checks use. */
export function indexLines(header: SearchHeader, lines: readonly string[]): SearchIndex {
  const builder = indexBuilder(header);
  if (lines.length > 0) builder.add(`${lines.join('\n')}\n`);
  return builder.finish();
}

/**
 * An index of the first `count` contacts of `index`, knowing only their customers: a small copy of the real
 * thing, in the same shapes, for the page to run the search code on while idle, so that the reader's first
 * query runs compiled code. One search over every contact, run once, left most of it to the interpreter.
 */
export function sampleIndex(index: SearchIndex, count: number): SearchIndex {
  const size = Math.min(count, index.size);
  let customers = 0;
  for (let i = 0; i < size; i++) customers = Math.max(customers, (index.customer[i] ?? 0) + 1);
  const header = { ...index.header, customers: index.header.customers.slice(0, customers) };
  const builder = indexBuilder(header);
  builder.add(index.raw.slice(0, index.rawStarts[size] ?? 0));
  return builder.finish();
}

/** Contact `i` as the contacts file says it. */
export function contactAt(index: SearchIndex, i: number): SearchContact {
  return parseContactLine(index.raw.slice(index.rawStarts[i] ?? 0, (index.rawStarts[i + 1] ?? 1) - 1));
}

/** What works out the phones' digits (`SearchIndex.digits`) a slice of contacts at a time, in order. */
export function digitsBuilder(index: SearchIndex): {
  add: (start: number, end: number) => void;
  finish: () => void;
} {
  const starts = new Int32Array(index.size + 1);
  const pieces: string[] = [];
  let at = 0;
  return {
    add: (start, end) => {
      const lines: string[] = [];
      for (let i = start; i < end; i++) {
        const line = phoneDigits(contactAt(index, i));
        starts[i] = at;
        at += line.length + 1;
        lines.push(line);
      }
      pieces.push(`${lines.join('\n')}\n`);
    },
    finish: () => {
      starts[index.size] = at;
      index.digits ??= { text: pieces.join(''), starts };
    },
  };
}

function digitsOf(index: SearchIndex): { text: string; starts: Int32Array } {
  if (!index.digits) {
    const builder = digitsBuilder(index);
    builder.add(0, index.size);
    builder.finish();
  }
  return index.digits as { text: string; starts: Int32Array };
}

/** A match's flags, by contact. */
const PREFIX = 1;
const IN_NAME = 2;
const WHOLE = 4;

/**
 * Sets `flags[i]` for every contact `i` whose name or email has a word starting with `word`: `PREFIX`,
 * `IN_NAME` when in the name, `WHOLE` when it is the whole word. With `wholeOnly`, only whole words count.
 */
function markText(index: SearchIndex, word: string, flags: Uint8Array, wholeOnly = false): void {
  const { folded, nameStart, nameEnd, emailEnd, size } = index;
  let line = 0;
  for (let at = folded.indexOf(word); at >= 0; at = folded.indexOf(word, at + 1)) {
    if (at > 0 && isWordAt(folded, at - 1)) continue;
    while (line + 1 < size && (nameStart[line + 1] ?? 0) <= at) line++;
    if (at < (nameStart[line] ?? 0) || at >= (emailEnd[line] ?? 0)) continue;
    const after = at + word.length;
    const whole = after >= folded.length || !isWordAt(folded, after);
    if (wholeOnly && !whole) continue;
    flags[line] =
      (flags[line] ?? 0) | PREFIX | (whole ? WHOLE : 0) | (at < (nameEnd[line] ?? 0) ? IN_NAME : 0);
  }
}

/** `PREFIX` (and `WHOLE`) for each customer and each set of roles that has a word starting with `word`. */
function markTails(
  index: SearchIndex,
  word: string,
  wholeOnly = false,
): { customers: Uint8Array; roleSets: Uint8Array } {
  const flagOf = (list: readonly string[]) => {
    let flag = 0;
    for (const part of list) {
      if (part === word) return PREFIX | WHOLE;
      if (!wholeOnly && part.startsWith(word)) flag = PREFIX;
    }
    return flag;
  };
  // Plain loops: `Uint8Array.from` with a function over 12,500 customers took a good part of a short query.
  const { known } = index;
  const customers = new Uint8Array(known.customers.length);
  for (let customer = 0; customer < customers.length; customer++) {
    customers[customer] = flagOf(known.customers[customer] ?? []);
  }
  const roles = known.roles.map(flagOf);
  const roleSets = new Uint8Array(index.roleSets.length);
  index.roleSets.forEach((set, k) => {
    for (const role of set) roleSets[k] = (roleSets[k] ?? 0) | (roles[role] ?? 0);
  });
  return { customers, roleSets };
}

/** The flags of `word` for every contact, its customer's and roles' words included. */
function wordFlags(index: SearchIndex, word: string): Uint8Array {
  const parts = wordParts(index, word);
  for (let i = 0; i < index.size; i++) parts.text[i] = flagsAt(index, parts, i);
  return parts.text;
}

/** Where `word` is in names and emails, and which customers and sets of roles it matches. */
interface WordParts {
  text: Uint8Array;
  customers: Uint8Array;
  roleSets: Uint8Array;
}

function wordParts(index: SearchIndex, word: string): WordParts {
  const text = new Uint8Array(index.size);
  markText(index, word, text);
  return { text, ...markTails(index, word) };
}

/** The flags of contact `i` for a word: its text's, its customer's and its roles'. */
function flagsAt(index: SearchIndex, parts: WordParts, i: number): number {
  return (
    (parts.text[i] ?? 0) |
    (parts.customers[index.customer[i] ?? 0] ?? 0) |
    (parts.roleSets[index.roleSet[i] ?? 0] ?? 0)
  );
}

/** `PREFIX` for every contact that `number` matches: within its phone's digits, or as a word's start. */
function numberFlags(index: SearchIndex, number: string): Uint8Array {
  const flags = wordFlags(index, number);
  const { text, starts } = digitsOf(index);
  let line = 0;
  for (let at = text.indexOf(number); at >= 0; at = text.indexOf(number, at + 1)) {
    while (line + 1 < index.size && (starts[line + 1] ?? 0) <= at) line++;
    flags[line] = (flags[line] ?? 0) | PREFIX;
  }
  return flags;
}

/** Whether a set of roles (or countries) holds `wanted`, for each set; all true for -1 (any). */
function setsHolding(sets: readonly number[][], wanted: number): Uint8Array {
  return Uint8Array.from(sets, (set) => (wanted < 0 || set.includes(wanted) ? 1 : 0));
}

/** The facet counts by set, spread over the roles (or countries) of each set. */
function spread(sets: readonly number[][], counts: Int32Array): number[] {
  const facets: number[] = [];
  counts.forEach((count, set) => {
    if (count === 0) return;
    for (const value of sets[set] ?? []) facets[value] = (facets[value] ?? 0) + count;
  });
  return facets;
}

interface Filtering {
  roleKept: Uint8Array;
  countryKept: Uint8Array;
  roleCounts: Int32Array;
  countryCounts: Int32Array;
}

function filtering(index: SearchIndex, filters: SearchFilters): Filtering {
  return {
    roleKept: setsHolding(index.roleSets, filters.role),
    countryKept: setsHolding(index.countrySets, filters.country),
    roleCounts: new Int32Array(index.roleSets.length),
    countryCounts: new Int32Array(index.countrySets.length),
  };
}

/** Counts contact `i` in the facets and says whether both filters keep it. */
function kept(index: SearchIndex, f: Filtering, i: number): boolean {
  const roleSet = index.roleSet[i] ?? 0;
  const countrySet = index.countrySet[i] ?? 0;
  const roleKept = f.roleKept[roleSet] === 1;
  const countryKept = f.countryKept[countrySet] === 1;
  if (countryKept) f.roleCounts[roleSet] = (f.roleCounts[roleSet] ?? 0) + 1;
  if (roleKept) f.countryCounts[countrySet] = (f.countryCounts[countrySet] ?? 0) + 1;
  return roleKept && countryKept;
}

function facetsOf(index: SearchIndex, f: Filtering): SearchResult['facets'] {
  return {
    roles: spread(index.roleSets, f.roleCounts),
    countries: spread(index.countrySets, f.countryCounts),
  };
}

/**
 * The flags of every word and number of a query, combined: `PREFIX` when all of them match, `IN_NAME` when
 * all words are in the name, `WHOLE` when all words are whole words. Null when the query has neither.
 */
function queryFlags(
  wordMatches: readonly Uint8Array[],
  numberMatches: readonly Uint8Array[],
): Uint8Array | null {
  const [first, ...rest] = wordMatches;
  let combined = first ?? null;
  for (const flags of rest) {
    if (!combined) break;
    for (let i = 0; i < flags.length; i++) combined[i] = (combined[i] ?? 0) & (flags[i] ?? 0);
  }
  for (const flags of numberMatches) {
    if (!combined) {
      // Numbers alone: in the name or whole do not rank anything, as with no word every word is whole.
      combined = flags.map((flag) => (flag & PREFIX ? PREFIX | WHOLE : 0));
      continue;
    }
    for (let i = 0; i < flags.length; i++) if (((flags[i] ?? 0) & PREFIX) === 0) combined[i] = 0;
  }
  return combined;
}

/**
 * A query of one word and nothing else (what the first keystroke is): where it is in names and emails, and
 * which customers and sets of roles it matches, for `searchIndex` to read together in its one pass over the
 * contacts rather than combined first in a pass of their own.
 */
function oneWord(index: SearchIndex, parsed: ParsedQuery): WordParts | undefined {
  const [word] = parsed.words;
  if (word === undefined || parsed.words.length > 1 || parsed.numbers.length > 0) return undefined;
  return wordParts(index, word);
}

/**
 * `search` of `src/testing/reference-search.ts` over a `SearchIndex`: the same contacts, in the same order, with the same counts
 * and the same fallback to the closest matches.
 */
export function searchIndex(
  index: SearchIndex,
  query: string,
  filters: SearchFilters,
  limit: number,
): SearchResult {
  const parsed = parseQuery(query);
  if (parsed.words.length === 0 && parsed.numbers.length === 0 && filters.role < 0 && filters.country < 0) {
    return { total: 0, hits: [], fuzzy: false, facets: { roles: [], countries: [] } };
  }
  const one = oneWord(index, parsed);
  const numberMatches = parsed.numbers.map((number) => numberFlags(index, number));
  const combined = one
    ? null
    : queryFlags(
        parsed.words.map((word) => wordFlags(index, word)),
        numberMatches,
      );
  const f = filtering(index, filters);
  const ranks: number[][] = [[], [], [], []];
  const byNameAllowed = parsed.words.length > 0;
  let total = 0;
  let textMatched = 0;
  for (let i = 0; i < index.size; i++) {
    const flags = one ? flagsAt(index, one, i) : combined ? (combined[i] ?? 0) : PREFIX | WHOLE;
    if ((flags & PREFIX) === 0) continue;
    textMatched++;
    if (!kept(index, f, i)) continue;
    total++;
    const byName = byNameAllowed && (flags & IN_NAME) !== 0;
    const rank = ranks[(byName ? 0 : 2) + (flags & WHOLE ? 0 : 1)];
    if (rank && rank.length < limit) rank.push(i);
  }
  if (textMatched > 0 || !parsed.words.some((word) => allowedEdits(word.length) > 0)) {
    return { total, hits: ranks.flat().slice(0, limit), fuzzy: false, facets: facetsOf(index, f) };
  }
  return closestMatches(index, parsed, numberMatches, filters, limit);
}

function allNumbers(numberMatches: readonly Uint8Array[], i: number): boolean {
  for (const flags of numberMatches) if (((flags[i] ?? 0) & PREFIX) === 0) return false;
  return true;
}

/** For each contact, which of `close` (by position, the first one found) it has as a whole word, and where. */
function closeFlags(index: SearchIndex, close: readonly string[]): { first: Int16Array; inName: Uint8Array } {
  const first = new Int16Array(index.size).fill(-1);
  const inName = new Uint8Array(index.size);
  close.forEach((word, k) => {
    const flags = new Uint8Array(index.size);
    markText(index, word, flags, true);
    const tails = markTails(index, word, true);
    for (let i = 0; i < index.size; i++) {
      const found =
        (flags[i] ?? 0) |
        (tails.customers[index.customer[i] ?? 0] ?? 0) |
        (tails.roleSets[index.roleSet[i] ?? 0] ?? 0);
      if (found === 0 || ((first[i] ?? -1) >= 0 && first[i] !== k)) continue;
      first[i] = k;
      if ((flags[i] ?? 0) & IN_NAME) inName[i] = 1;
    }
  });
  return { first, inName };
}

/** The fallback of `searchIndex`: contacts ranked by words matched, then by how well (whole, prefix, close). */
function closestMatches(
  index: SearchIndex,
  parsed: ParsedQuery,
  numberMatches: readonly Uint8Array[],
  filters: SearchFilters,
  limit: number,
): SearchResult {
  const vocabulary = vocabularyOfIndex(index);
  const terms = parsed.words.map((word) => ({
    flags: wordFlags(index, word),
    close: closeFlags(index, closeWords(word, vocabulary)),
  }));
  const f = filtering(index, filters);
  const found: number[] = [];
  const keys: number[] = [];
  for (let i = 0; i < index.size; i++) {
    let matched = 0;
    let quality = 0;
    let inName = 0;
    for (const term of terms) {
      const flags = term.flags[i] ?? 0;
      if (flags & PREFIX) {
        matched++;
        quality += flags & WHOLE ? 3 : 2;
        if (flags & IN_NAME) inName++;
      } else if ((term.close.first[i] ?? -1) >= 0) {
        matched++;
        quality += 1;
        inName += term.close.inName[i] ?? 0;
      }
    }
    if (matched === 0 || !allNumbers(numberMatches, i) || !kept(index, f, i)) continue;
    found.push(i);
    keys.push(matched * 10_000 + quality * 100 + inName);
  }
  return {
    total: found.length,
    hits: bestFirst(found, keys, limit),
    fuzzy: true,
    facets: facetsOf(index, f),
  };
}

const WORDS = /[\p{L}\p{N}]+/gu;

/**
 * What works out the vocabulary typos are compared with (`vocabularyOf` of `reference-search.ts`: every name, and
 * the email, customer and roles of the first contact of each customer and of each set of roles), a slice of
 * contacts at a time, in order, so that no step of it holds the page.
 */
export function vocabularyBuilder(index: SearchIndex): {
  add: (start: number, end: number) => void;
  finish: () => void;
} {
  const seen = new Set<string>();
  const customers = new Set<number>();
  const roleSets = new Set<number>();
  const byLength = new Map<number, { words: string[]; letters: number[] }>();
  const addWord = (word: string) => {
    if (seen.has(word)) return;
    seen.add(word);
    let group = byLength.get(word.length);
    if (!group) {
      group = { words: [], letters: [] };
      byLength.set(word.length, group);
    }
    group.words.push(word);
    group.letters.push(letterBits(word));
  };
  const { folded } = index;
  const add = (start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const customer = index.customer[i] ?? 0;
      const roleSet = index.roleSet[i] ?? 0;
      const everything = !customers.has(customer) || !roleSets.has(roleSet);
      const to = everything ? index.emailEnd[i] : index.nameEnd[i];
      for (const [word] of folded.slice(index.nameStart[i], to).matchAll(WORDS)) addWord(word);
      if (!everything) continue;
      customers.add(customer);
      roleSets.add(roleSet);
      for (const word of index.known.customers[customer] ?? []) addWord(word);
      for (const role of index.roleSets[roleSet] ?? [])
        for (const word of index.known.roles[role] ?? []) addWord(word);
    }
  };
  const finish = () => {
    index.vocabulary ??= {
      byLength: new Map(
        [...byLength].map(([length, group]) => [
          length,
          { words: group.words, letters: Int32Array.from(group.letters) },
        ]),
      ),
    };
  };
  return { add, finish };
}

/** The vocabulary that typos are compared with, worked out on first use unless the page did it when idle. */
export function vocabularyOfIndex(index: SearchIndex): Vocabulary {
  if (!index.vocabulary) {
    const builder = vocabularyBuilder(index);
    builder.add(0, index.size);
    builder.finish();
  }
  return index.vocabulary as Vocabulary;
}
