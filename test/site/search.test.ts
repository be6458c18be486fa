import { describe, expect, test } from 'vitest';
import { parsePhone } from '../../src/pipeline/phone.ts';
import {
  allowedEdits,
  decodeDial,
  editDistance,
  encodeDial,
  fold,
  formatContactLine,
  formatIdLines,
  headerWords,
  parseContactLines,
  parseIdLines,
  parseQuery,
  type SearchContact,
  type SearchFilters,
  type SearchHeader,
  type SearchResult,
  searchCustomers,
  words,
} from '../../src/site/shared/search.ts';
import { contactAt, indexLines, sampleIndex, searchIndex } from '../../src/site/shared/search-index.ts';
import { indexContact, search } from '../../src/testing/reference-search.ts';

describe('fold', () => {
  test.each([
    ['Zoë', 'zoe'],
    ['Ñúñez', 'nunez'],
    ['Straße', 'strasse'],
    ['Ørsted Æble', 'orsted aeble'],
    ['ŁÓDŹ', 'lodz'],
    ['محمد', 'محمد'],
  ])('folds %s to %s', (input, output) => {
    expect(fold(input)).toBe(output);
  });
});

describe('parseQuery', () => {
  test('joins numbers typed with spaces or punctuation into one', () => {
    expect(parseQuery('+33 (6) 12-34.56')).toEqual({ words: [], numbers: ['3361234' + '56'] });
  });

  test('keeps words and numbers apart', () => {
    expect(parseQuery('Jean 06 12 Dupont')).toEqual({ words: ['jean', 'dupont'], numbers: ['0612'] });
  });
});

describe('words', () => {
  /** The Unicode path alone, which the printable-ASCII shortcut must agree with. */
  const unicodeWords = (text: string) =>
    text
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];

  test.each([
    'Seán "Jack" O\'Brien & Sons',
    'JEAN.DUPONT+tag@Example.COM',
    '+33 (6) 12-34.56',
    'Acme GmbH 12',
    '~`!@#$%^&*()_=[]{}|;:,.<>/?',
  ])('reads %j as the Unicode path does', (text) => {
    expect(words(text)).toEqual(unicodeWords(text));
    expect(fold(text)).toBe(
      text
        .normalize('NFD')
        .replace(/\p{M}+/gu, '')
        .toLowerCase(),
    );
  });

  test('folds accents and the letters decomposition leaves', () => {
    expect(words('Zoë Ñúñez, Straße Øre')).toEqual(['zoe', 'nunez', 'strasse', 'ore']);
  });
});

const header: SearchHeader = {
  roles: ['buyer', 'signer', 'decision_maker'],
  roleLabels: ['acheteur', 'signataire', 'décideur'],
  countries: ['FR', 'DE'],
  customers: [
    { id: '11111111-1111-4111-8111-111111111111', name: 'Société Générale' },
    { id: '22222222-2222-4222-8222-222222222222', name: 'Acme GmbH' },
    { id: '33333333-3333-4333-8333-333333333333', name: 'Standard SA' },
  ],
  ids: { per: 2048, files: ['ids-0.000000000000.txt'] },
};

/** The `dial` field as the site build writes it, from the number as publish reads it (FR by default). */
function dialOf(phone: string): string {
  const parsed = parsePhone(phone);
  return parsed ? encodeDial(phone, parsed) : '';
}

const contacts: SearchContact[] = [
  {
    customer: 0,
    name: 'Zoë Ñúñez',
    email: 'zoe.nunez@example.com',
    phone: '+33 6 12 34 56 78',
    roles: [0],
    countries: [0],
    dial: dialOf('+33 6 12 34 56 78'),
  },
  {
    customer: 1,
    name: 'Jean Dupont',
    email: 'jd@acme.de',
    phone: '+49 30 1234567',
    roles: [1, 2],
    countries: [1],
    dial: dialOf('+49 30 1234567'),
  },
  {
    customer: 1,
    name: 'Marie Jeanne',
    email: 'marie@acme.de',
    phone: '',
    roles: [],
    countries: [],
    dial: '',
  },
  {
    customer: 2,
    name: 'Paul Poste',
    email: '',
    phone: '+33 1 20 57 94 57 ext. 10',
    roles: [],
    countries: [],
    dial: dialOf('+33 1 20 57 94 57 ext. 10'),
  },
  {
    customer: 2,
    name: 'Anne National',
    email: '',
    phone: '04 72 10 20 30',
    roles: [],
    countries: [],
    dial: dialOf('04 72 10 20 30'),
  },
  {
    customer: 2,
    name: 'Luc Unread',
    email: '',
    phone: 'ask 9988 reception',
    roles: [],
    countries: [],
    dial: dialOf('ask 9988 reception'),
  },
];
const any = { role: -1, country: -1 };

type Run = (list: SearchContact[], query: string, filters: SearchFilters, limit: number) => SearchResult;

/**
 * Both searches, pinned by the same cases: `search` over `indexContact`'s entries, the plain reference, and
 * `searchIndex` over the packed index the browser reads the contacts file into.
 */
const ENGINES: Array<[string, Run]> = [
  [
    'search',
    (list, query, filters, limit) =>
      search(
        list,
        list.map((contact) => indexContact(contact, header)),
        query,
        filters,
        limit,
      ),
  ],
  [
    'searchIndex',
    (list, query, filters, limit) =>
      searchIndex(indexLines(header, list.map(formatContactLine)), query, filters, limit),
  ],
];

describe.each(ENGINES)('%s', (_name, run) => {
  const find = (query: string, filters = any) =>
    run(contacts, query, filters, 50).hits.map((hit) => contacts[hit]?.name);

  test.each([
    ['zoe', ['Zoë Ñúñez']],
    ['NUNEZ', ['Zoë Ñúñez']],
    ['ñúñ', ['Zoë Ñúñez']],
    ['dupont jean', ['Jean Dupont']],
    ['jean dupont', ['Jean Dupont']],
    ['jea', ['Jean Dupont', 'Marie Jeanne']],
    ['zoe.nunez@exa', ['Zoë Ñúñez']],
    ['acme', ['Jean Dupont', 'Marie Jeanne']],
    ['generale', ['Zoë Ñúñez']],
    ['signer', ['Jean Dupont']],
    ['decision maker', ['Jean Dupont']],
    ['decideur', ['Jean Dupont']],
    ['acheteur', ['Zoë Ñúñez']],
    ['+33 6 12 34', ['Zoë Ñúñez']],
    ['06 12 34 56 78', ['Zoë Ñúñez']],
    ['0612345678', ['Zoë Ñúñez']],
    ['612345678', ['Zoë Ñúñez']],
    ['30-123', ['Jean Dupont']],
    ['030 1234567', ['Jean Dupont']],
    ['01 20 57 94 57', ['Paul Poste']],
    ['+33120579457', ['Paul Poste']],
    ['9457', ['Paul Poste']],
    ['+33 4 72 10 20 30', ['Anne National']],
    ['04 72 10', ['Anne National']],
    ['2030', ['Anne National']],
    ['9988', ['Luc Unread']],
    // Nothing as typed: the closest, "dupont" one edit away.
    ['upont', ['Jean Dupont']],
    // Nothing has both: those with one of them.
    ['jean zoe', ['Zoë Ñúñez', 'Jean Dupont', 'Marie Jeanne']],
  ])('finds %j: %j', (query, names) => {
    expect(find(query)).toEqual(names);
  });

  test('ranks contacts whose name matches before those matched by customer or email', () => {
    expect(find('jeanne')).toEqual(['Marie Jeanne']);
    expect(find('j')).toEqual(['Jean Dupont', 'Marie Jeanne']);
  });

  test('matches nothing for an empty query without filters', () => {
    expect(run(contacts, '  ', any, 50)).toEqual({
      total: 0,
      hits: [],
      fuzzy: false,
      facets: { roles: [], countries: [] },
    });
  });

  test('lists a facet when the query is empty', () => {
    expect(find('', { role: 1, country: -1 })).toEqual(['Jean Dupont']);
    expect(find('', { role: -1, country: 0 })).toEqual(['Zoë Ñúñez']);
  });

  test('applies filters together with the query', () => {
    expect(find('acme', { role: 2, country: 1 })).toEqual(['Jean Dupont']);
    expect(find('acme', { role: 0, country: -1 })).toEqual([]);
  });

  test('counts, for each role and country, the matches choosing it would keep, the other filter applied', () => {
    const facets = (query: string, filters = any) => {
      const found = run(contacts, query, filters, 50).facets;
      return {
        roles: Array.from({ length: 3 }, (_, r) => found.roles[r] ?? 0),
        countries: Array.from({ length: 2 }, (_, c) => found.countries[c] ?? 0),
      };
    };
    expect(facets('acme')).toEqual({ roles: [0, 1, 1], countries: [0, 1] });
    expect(facets('zoe')).toEqual({ roles: [1, 0, 0], countries: [1, 0] });
    // With France chosen, the roles count French matches; the countries still count every role.
    expect(facets('', { role: 0, country: 0 })).toEqual({ roles: [1, 0, 0], countries: [1, 0] });
    expect(facets('', { role: 1, country: 0 })).toEqual({ roles: [1, 0, 0], countries: [0, 1] });
    expect(run(contacts, '', any, 50).facets).toEqual({ roles: [], countries: [] });
  });

  test('counts every match but returns at most `limit` hits', () => {
    const result = run(contacts, 'acme', any, 1);
    expect(result.total).toBe(2);
    expect(result.hits).toHaveLength(1);
  });
});

describe('editDistance', () => {
  test.each([
    ['girad', 'girard', 1],
    ['gerard', 'girard', 1],
    ['lefebvre', 'lefevre', 1],
    ['lefebrve', 'lefevre', 2],
    ['duopnt', 'dupont', 1],
    ['helen', 'helene', 1],
    ['martin', 'martin', 0],
    ['abcdef', 'uvwxyz', 3],
  ])('puts %s and %s %i edits apart (at most 2 counted)', (a, b, distance) => {
    expect(editDistance(a, b, 2)).toBe(Math.min(distance, 3));
  });

  test('allows one edit from 4 characters and two from 8', () => {
    expect([3, 4, 7, 8, 12].map(allowedEdits)).toEqual([0, 1, 1, 2, 2]);
  });
});

describe.each(ENGINES)('%s with typos', (_name, run) => {
  const people: SearchContact[] = [
    ['Hélène Girard', 0],
    ['Hélène Martin', 0],
    ['Paul Girard', 1],
    ['Marc Lefèvre', 1],
    ['Marc Lefebvre', 2],
    ['Anna Gérard', 2],
    ['Luc Dupont', 2],
  ].map(([name, customer]) => ({
    customer: Number(customer),
    name: String(name),
    email: '',
    phone: '',
    roles: [],
    countries: [],
    dial: '',
  }));
  const closest = (query: string) => {
    const found = run(people, query, any, 50);
    return { fuzzy: found.fuzzy, names: found.hits.map((hit) => people[hit]?.name) };
  };

  test('answers as typed when the words match, whole words and names first, without a fallback', () => {
    expect(closest('lefevre')).toEqual({ fuzzy: false, names: ['Marc Lefèvre'] });
    expect(closest('gerard')).toEqual({ fuzzy: false, names: ['Anna Gérard'] });
    expect(closest('g')).toEqual({
      fuzzy: false,
      names: ['Hélène Girard', 'Paul Girard', 'Anna Gérard', 'Hélène Martin', 'Marc Lefèvre'],
    });
  });

  test('falls back to close words, most matched words first, then exact, prefix, close', () => {
    expect(closest('helene girad')).toEqual({
      fuzzy: true,
      names: ['Hélène Girard', 'Hélène Martin', 'Paul Girard'],
    });
    // Two words matched first; then a whole word (Gérard) before a prefix (Hélène) before a close word.
    expect(closest('helen gerard')).toEqual({
      fuzzy: true,
      names: ['Hélène Girard', 'Anna Gérard', 'Hélène Martin', 'Paul Girard'],
    });
    expect(closest('lefebre')).toEqual({ fuzzy: true, names: ['Marc Lefèvre', 'Marc Lefebvre'] });
    expect(closest('duopnt')).toEqual({ fuzzy: true, names: ['Luc Dupont'] });
  });

  test('does not guess when the words match as typed but a filter leaves none', () => {
    expect(run(people, 'girard', { role: 0, country: -1 }, 50)).toMatchObject({
      total: 0,
      hits: [],
      fuzzy: false,
    });
  });

  test('allows two edits only from 8 characters, and none below 4', () => {
    expect(closest('lefebrve').names).toContain('Marc Lefèvre');
    expect(closest('dpuotn').names).toEqual([]);
    expect(closest('lcu')).toEqual({ fuzzy: false, names: [] });
  });
});

describe('searchCustomers', () => {
  const known = headerWords(header);
  test.each([
    ['acme', [1]],
    ['soc gen', [0]],
    ['generale', [0]],
    ['a', [1]],
    ['s', [0, 2]],
    ['acme 12', []],
    ['zoe', []],
    ['', []],
  ])('finds %j: customers %j', (query, hits) => {
    expect(searchCustomers(known, query, 5).hits).toEqual(hits);
  });

  test('counts every match but returns at most `limit`', () => {
    expect(searchCustomers(known, 's', 1)).toEqual({ total: 2, hits: [0] });
  });
});

describe('formatIdLines and parseIdLines', () => {
  test('round-trip UUIDs written without their dashes', () => {
    const ids = ['0f8fad5b-d9cb-469f-a165-70867728950e', '7c9e6679-7425-40de-944b-e07fc1f90ae7'];
    const text = formatIdLines(ids);
    expect(text).toBe('0f8fad5bd9cb469fa16570867728950e\n7c9e6679742540de944be07fc1f90ae7\n');
    expect(parseIdLines(text)).toEqual(ids);
  });
});

describe('formatContactLine and parseContactLines', () => {
  test('round-trip contacts, turning tabs and line breaks inside values into spaces', () => {
    const hostile: SearchContact = {
      ...contacts[1],
      name: 'Tab\there\nnewline',
      email: 'a@b',
    } as SearchContact;
    const text = [...contacts, hostile].map(formatContactLine).join('\n');
    const parsed = parseContactLines(`${text}\n`);
    expect(parsed.slice(0, contacts.length)).toEqual(contacts);
    expect(parsed[contacts.length]?.name).toBe('Tab here newline');
  });
});

describe('searchIndex', () => {
  const hostile: SearchContact[] = [
    { customer: 0, name: '', email: '', phone: '', roles: [], countries: [], dial: '' },
    {
      customer: 2,
      name: 'Ñúñez  Straße-Ørsted',
      email: 'ZOË.n@Exämple.fr',
      phone: '',
      roles: [2],
      countries: [],
      dial: '',
    },
    { customer: 9, name: '  ', email: '@', phone: '12', roles: [7], countries: [3], dial: '' },
    { customer: 1, name: 'Tab\there', email: 'a@b', phone: '', roles: [1, 2], countries: [1], dial: '' },
    {
      customer: 0,
      name: "Jean-Luc O'Brien 2",
      email: 'JL_ob+x@a.io',
      phone: '',
      roles: [],
      countries: [],
      dial: '',
    },
    { customer: 0, name: 'Łukasz', email: '', phone: '', roles: [], countries: [], dial: '' },
    { customer: 1, name: '日本 太郎', email: 'taro@例え.jp', phone: '', roles: [0], countries: [], dial: '' },
    // Letters outside the BMP (two UTF-16 units each), alone, first and inside a word; one-letter words.
    { customer: 2, name: '𠀋 𠀋田 x𠀋 z', email: 'q@r.z', phone: '', roles: [], countries: [], dial: '' },
  ];

  const everyone = [...contacts, ...hostile];
  const packed = indexLines(header, everyone.map(formatContactLine));
  const entries = everyone.map((contact) => indexContact(contact, header));

  test('reads back every contact as parseContactLines does', () => {
    everyone.forEach((contact, i) => {
      expect(contactAt(packed, i)).toEqual(parseContactLines(`${formatContactLine(contact)}\n`)[0]);
    });
    expect(packed.size).toBe(everyone.length);
  });

  test.each([
    'jean',
    'acme',
    'buyer',
    'dupont jd',
    '0612',
    '+49 30',
    'marie acme',
    'zz',
    'jaen',
    'straße',
    'orsted',
    'zoe',
    'obrien',
    'brien 2',
    'o',
    '日本',
    '太郎',
    'taro',
    '例え',
    'jl',
    'lukasz',
    'here',
    'a',
    '12',
    // Inside a word: no match, whatever the script.
    '本',
    '郎',
    'ukasz',
    'rsted',
    // One letter, as typed first, and words of one letter.
    'z',
    'q',
    'j',
    'e',
    '2',
    'x',
    '𠀋',
    '𠀋田',
    '田',
  ])('finds for %j what search finds over indexContact', (query) => {
    for (const filters of [any, { role: 2, country: -1 }, { role: -1, country: 1 }]) {
      expect(searchIndex(packed, query, filters, 50)).toEqual(search(everyone, entries, query, filters, 50));
    }
  });

  test('folds every accented Latin letter as words does, at the start, inside and at the end of a word', () => {
    const lettered: SearchContact[] = [];
    for (let code = 0xc0; code <= 0x17f; code++) {
      const letter = String.fromCharCode(code);
      lettered.push({
        ...hostile[0],
        name: `${letter}x x${letter}x x${letter}`,
        email: `A${letter}@b.fr`,
      } as SearchContact);
    }
    const letteredIndex = indexLines(header, lettered.map(formatContactLine));
    const letteredEntries = lettered.map((contact) => indexContact(contact, header));
    for (const contact of lettered) {
      for (const query of words(`${contact.name} ${contact.email}`)) {
        expect(searchIndex(letteredIndex, query, any, 500), query).toEqual(
          search(lettered, letteredEntries, query, any, 500),
        );
      }
    }
  });
});

describe('sampleIndex', () => {
  const packed = indexLines(header, contacts.map(formatContactLine));

  test('holds the first contacts and only their customers, found as in an index of those lines alone', () => {
    const sample = sampleIndex(packed, 3);
    expect(sample.size).toBe(3);
    expect(sample.header.customers).toEqual(header.customers.slice(0, 2));
    expect(sample.known.customers).toHaveLength(2);
    const alone = indexLines(
      { ...header, customers: header.customers.slice(0, 2) },
      contacts.slice(0, 3).map(formatContactLine),
    );
    for (const query of ['jean', 'acme', 'a', '0612', 'decideur', 'standard', 'jaen']) {
      for (const filters of [any, { role: 2, country: -1 }, { role: -1, country: 1 }]) {
        expect(searchIndex(sample, query, filters, 50), query).toEqual(
          searchIndex(alone, query, filters, 50),
        );
      }
    }
    expect(searchIndex(sample, 'jean', any, 50).hits).toEqual([1, 2]);
  });

  test('is the whole index when asked for more contacts than it has, and empty for none', () => {
    expect(sampleIndex(packed, 1000).size).toBe(contacts.length);
    expect(sampleIndex(packed, 1000).raw).toBe(packed.raw);
    const none = sampleIndex(packed, 0);
    expect(none.size).toBe(0);
    expect(none.header.customers).toEqual([]);
    expect(searchIndex(none, 'a', any, 50).total).toBe(0);
  });
});

describe('encodeDial and decodeDial', () => {
  test.each([
    ['+33 1 20 57 94 57 ext. 10', 'tel:+33120579457;ext=10', '0120579457', '2.0'],
    ['+33 6 74 49 25 45', 'tel:+33674492545', '0674492545', '33.0.2'],
    ['06 74 49 25 45', 'tel:+33674492545', '0674492545', '33.0.1'],
    ['0612345678 x12', 'tel:+33612345678;ext=12', '0612345678', '33.0.1.2'],
    ['+33 (0)6 12 34 56 78', 'tel:+33612345678', '0612345678', '33.0.3'],
    ['+39 06 1234 5678', 'tel:+390612345678', '0612345678', '39..2'],
    ['+1 (555) 010-9999', 'tel:+15550109999', '5550109999', '1..1'],
    ['+44 20 7946 0958', 'tel:+442079460958', '02079460958', '44.0.2'],
  ])('gives %j the link %s and the national digits %s', (phone, uri, national, dial) => {
    const parsed = parsePhone(phone);
    if (!parsed) throw new Error(`libphonenumber-js could not read ${phone}`);
    // The link is the one libphonenumber-js's getURI() gave at publish, rebuilt from a few characters.
    expect(parsed.uri).toBe(uri);
    const encoded = encodeDial(phone, parsed);
    if (dial !== '2.0') expect(encoded).toBe(dial);
    expect(decodeDial(phone, encoded)).toMatchObject({ uri, national, international: parsed.e164.slice(1) });
  });

  test('writes a number in full when its digits as sent do not hold its national number', () => {
    const encoded = encodeDial('+33 6 12 34 56 78', {
      e164: '+33699999999',
      national: '06 99 99 99 99',
      extension: null,
    });
    expect(encoded).toBe('=33699999999=0699999999=');
    expect(decodeDial('+33 6 12 34 56 78', encoded)?.uri).toBe('tel:+33699999999');
  });

  test('has no forms for a number publish could not read', () => {
    expect(decodeDial('ask 9988 reception', '')).toBeNull();
  });
});
