/**
 * Test fixtures for the site: a deterministic `Snapshot` of any size, its first contacts the generator's first
 * hostile ones (`src/fake-api/hostile.ts`), full of the data problems the quality report finds, with the
 * previous night, the rejects and the history to publish it with (`writePublishedSnapshot`, through the
 * pipeline's own publish). Used by the unit tests, the end-to-end tests and `npm run bench:site`.
 */
import { FIRST_HOSTILE_CONTACTS, HOSTILE_CONTACTS } from '../fake-api/hostile.ts';
import type { RawContact } from '../fake-api/raw-records.ts';
import { parsePhone } from '../pipeline/phone.ts';
import { KNOWN_ROLES } from '../shared/schema/api.ts';
import type {
  AddressSummary,
  Snapshot,
  SnapshotContact,
  SnapshotCustomer,
} from '../shared/schema/published.ts';
import type { ChangesHistory, ChangesNight } from '../shared/schema/reports.ts';
import { fixtureId, snapshotContact, snapshotCustomer } from './records.ts';

export interface FixtureOptions {
  /** Number of contacts (at least 1). */
  contacts: number;
  /** Mean contacts per customer; 8 by default. */
  perCustomer?: number;
  demo?: boolean;
}

/**
 * Addresses a `mailto:` link must not carry as they are: each would add a hidden recipient, a header or a
 * body. Contacts 11 to 16 of every 50 get one; the pages show them as text.
 */
export const UNLINKABLE_EMAILS = [
  'ann@example.com?bcc=spy@evil.example',
  'ann@example.com?body=Please%20wire%20the%20payment%20to%20FR76',
  'ann&cc=spy@evil.example',
  'ann%2Cspy%40evil.example@example.com',
  'spy@evil.example,ann@example.com',
  'a@x.com, evil@y.com',
] as const;

const FIRST = [
  'Jean',
  'Marie',
  'Pierre',
  'Sophie',
  'Luc',
  'Anne',
  'Paul',
  'Chloé',
  'Hugo',
  'Léa',
  'Tom',
  'Emma',
];
const LAST = [
  'Dupont',
  'Martin',
  'Bernard',
  'Durand',
  'Lefèvre',
  'Moreau',
  'Garcia',
  'Müller',
  'Rossi',
  'Smith',
];
const COMPANY = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Soylent',
  'Tyrell',
];
const SUFFIX = ['SA', 'GmbH', 'Ltd', 'SARL', 'Inc', 'BV'];
const COUNTRIES = ['FR', 'DE', 'GB', 'ES', 'IT', 'NL', 'BE', 'US'];
const CITIES = ['Paris', 'Berlin', 'London', 'Madrid', 'Roma', 'Amsterdam', 'Bruxelles', 'New York'];
// The documented roles, and one the API uses elsewhere.
const ROLES = [...KNOWN_ROLES, 'decision_maker'];

/** When the fixture's stale customers (every eleventh, from the fifth) were read: 10 days before the snapshot. */
export const STALE_CUSTOMER_READ_AT = '2026-01-05T03:00:00.000Z';

/** The night the fixture's snapshot was taken. */
const STAMP = '2026-01-15T03:00:00.000Z';

/**
 * Builds a valid snapshot of `contacts` contacts grouped in customers of `perCustomer` each, the first contacts
 * being the generator's first hostile ones (`FIRST_HOSTILE_CONTACTS` of `HOSTILE_CONTACTS`).
 */
export function makeSnapshot(options: FixtureOptions): Snapshot {
  const total = Math.max(1, Math.floor(options.contacts));
  const customerCount = Math.max(1, Math.ceil(total / (options.perCustomer ?? 8)));
  const customers: SnapshotCustomer[] = [];
  const contacts: SnapshotContact[] = [];
  let addressCount = 0;
  for (let c = 0; c < customerCount; c++) {
    const customer = fixtureCustomer(c);
    addressCount += customer.addresses.length;
    const start = Math.floor((c * total) / customerCount);
    const end = Math.floor(((c + 1) * total) / customerCount);
    for (let i = start; i < end; i++) contacts.push(fixtureContact(i, c, customer));
    customers.push({ ...customer, contact_count: end - start });
  }
  return {
    schema_version: 1,
    generated_at: STAMP,
    source: {
      host: options.demo ? '127.0.0.1:4010' : 'qwoty.app',
      customer_id: null,
      demo: options.demo ?? false,
    },
    counts: { contacts: contacts.length, customers: customers.length, addresses: addressCount, rejected: 1 },
    warnings: [],
    customers,
    contacts,
  };
}

/**
 * Customer `c`: hostile names first, every 97th (from the fifth) unreadable, and every eleventh (from the fifth)
 * read ten days before the snapshot, the rate limit having left no time to read it again (see
 * `STALE_CUSTOMER_READ_AT`); the others read during the night of the snapshot.
 */
function fixtureCustomer(c: number): SnapshotCustomer {
  const readable = c % 97 !== 5;
  const name =
    c === 0
      ? '<b>Bold</b> & "Quoted" Ltd'
      : c === 1
        ? 'Société Générale Ñúñez'
        : c === 2
          ? 'شركة الأمل'
          : `${COMPANY[c % COMPANY.length]} ${SUFFIX[(c >> 3) % SUFFIX.length]} ${c}`;
  const type = c % 4 === 3 ? 'individual' : 'company';
  return {
    id: fixtureId(`customer-${c}`),
    name: readable ? name : null,
    type: readable ? type : null,
    segment_id: null,
    id_crm: `CUST-${c}`,
    id_erp: null,
    id_accounting: null,
    tax_ids: c % 2 === 0 ? [{ tax: 'VAT', tax_value: `FR${c}` }] : [],
    addresses: customerAddresses(c),
    contact_count: 0,
    fetched_at: readable ? (c % 11 === 4 ? STALE_CUSTOMER_READ_AT : '2026-01-15T03:01:00.000Z') : null,
  };
}

/** One address for even customers, two for odd ones. */
function customerAddresses(c: number): AddressSummary[] {
  return Array.from({ length: 1 + (c % 2) }, (_, a) => {
    const country = COUNTRIES[(c + a) % COUNTRIES.length] ?? 'FR';
    const city = CITIES[(c + a) % CITIES.length] ?? 'Paris';
    return {
      id: fixtureId(`address-${c}-${a}`),
      type: a === 0 ? 'billing' : 'shipping',
      label: a === 0 ? 'Head office' : null,
      summary: `${10 + a} rue de la Paix, 7500${a} ${city}, ${country}`,
      street: `${10 + a} rue de la Paix`,
      postal_code: `7500${a}`,
      city,
      region: null,
      country,
    };
  });
}

/** Contact `i` of customer `c`, with one of each data problem every 50 contacts (see `contactPhone`). */
function fixtureContact(i: number, c: number, customer: SnapshotCustomer): SnapshotContact {
  const roles = [ROLES[i % ROLES.length] ?? 'buyer'];
  if (i % 3 === 0) roles.push(ROLES[(i + 2) % ROLES.length] ?? 'signer');
  const own = customer.addresses.slice(0, 1 + (i % 2)).filter((_, index) => i % 5 !== 0 || index > 0);
  const first = FIRST[i % FIRST.length] ?? 'Jean';
  const last = `${LAST[(i >> 2) % LAST.length]}${i}`;
  const fields: RawContact = { first_name: first, last_name: last, email: null, phone: contactPhone(i, c) };
  // The generator's first hostile contacts, as they are: the pages and search tests name them.
  if (i < FIRST_HOSTILE_CONTACTS) HOSTILE_CONTACTS[i]?.(fields);
  const named = { first: String(fields.first_name), last: String(fields.last_name) };
  const email = typeof fields.email === 'string' ? fields.email : contactEmail(i, named.first, named.last);
  const phone = typeof fields.phone === 'string' ? fields.phone : null;
  return {
    id: fixtureId(`contact-${i}`),
    workspace_id: fixtureId('workspace'),
    customer_id: customer.id,
    first_name: named.first,
    last_name: named.last,
    email,
    phone,
    role: roles,
    id_crm: i % 2 === 0 ? `CRM-${i}` : null,
    id_erp: i % 4 === 0 ? `ERP-${i}` : null,
    id_accounting: null,
    address_ids: own.map((address) => address.id),
    created_at: STAMP,
    updated_at: STAMP,
    customer_name: customer.name,
    customer_type: customer.type,
    addresses: own,
    // As publish reads it, with the default country.
    phone_parsed: parsePhone(phone),
  };
}

/**
 * Contact `i`'s phone, of customer `c`: none every eleventh (from the fourth) and at 8 of every 50, too short
 * at 10, with an extension at 20, in national form at 21, international otherwise.
 */
function contactPhone(i: number, c: number): string | null {
  const flaw = i % 50;
  if (i % 11 === 3 || flaw === 8) return null;
  if (flaw === 10) return '12';
  // An extension, which a link must carry as `;ext=10`.
  if (flaw === 20) return `+33 1 20 57 ${pad(i % 100)} ${pad(c % 100)} ext. 10`;
  // The national form, which publish reads as a number of the default country (FR).
  if (flaw === 21) return `04 72 ${pad(i % 100)} ${pad(c % 100)} ${pad(Math.floor(i / 100) % 100)}`;
  return `+33 6 ${pad(i % 100)} ${pad(Math.floor(i / 100) % 100)} ${pad(Math.floor(i / 10_000) % 100)} ${pad(c % 100)}`;
}

/**
 * Contact `i`'s email: unlinkable at 11 to 16 of every 50, none at 7 and 8, malformed at 9, shared by two
 * contacts in another case at 24 and 25.
 */
function contactEmail(i: number, first: string, last: string): string | null {
  const flaw = i % 50;
  const unlinkable = UNLINKABLE_EMAILS[flaw - 11];
  if (unlinkable) return unlinkable;
  if (flaw === 7 || flaw === 8) return null;
  if (flaw === 9) return `${first.toLowerCase()}.${last.toLowerCase()} at example.com`;
  if (flaw === 24 || flaw === 25) return `Team${Math.floor(i / 50)}@Example.com`;
  return `${first.toLowerCase()}.${last.toLowerCase()}@example.com`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
/** The name of a contact that was only in the previous snapshot: shown as text on the change page. */
export const HOSTILE_REMOVED_NAME = '<script>alert("removed")</script>';
/**
 * The snapshot taken the day before `snapshot`, such that comparing them finds every kind of change: the
 * last customer and its contacts, and the sixth contact, were added since; `removed` contacts (one of them
 * named like a script) and one customer were removed since; the first three contacts changed (email and
 * phone; roles and addresses; first name).
 */
export function makePreviousSnapshot(snapshot: Snapshot, options: { removed?: number } = {}): Snapshot {
  const removedCount = options.removed ?? 3;
  const lastCustomer = snapshot.customers.at(-1);
  const keptCustomer = snapshot.customers[1] ?? snapshot.customers[0];
  const goneCustomer = snapshotCustomer({
    id: fixtureId('customer-gone'),
    name: 'Gone <i>Away</i> GmbH',
    type: 'company',
  });
  const stamp = '2026-01-14T03:00:00.000Z';
  const before: Record<number, (contact: SnapshotContact) => SnapshotContact> = {
    0: (contact) => ({
      ...contact,
      email: 'old.xss@example.com',
      phone: '+33 6 00 00 00 00',
      phone_parsed: parsePhone('+33 6 00 00 00 00'),
      updated_at: stamp,
    }),
    1: (contact) => ({ ...contact, role: ['legal'], address_ids: [], addresses: [], updated_at: stamp }),
    2: (contact) => ({ ...contact, first_name: 'Mohammed', updated_at: stamp }),
  };
  const contacts = snapshot.contacts.flatMap((contact, index) =>
    index === 5 || contact.customer_id === lastCustomer?.id ? [] : [before[index]?.(contact) ?? contact],
  );
  for (let k = 0; k < removedCount; k++) {
    const customer = k % 2 === 0 ? keptCustomer : goneCustomer;
    contacts.push(
      snapshotContact(customer ?? goneCustomer, {
        id: fixtureId(`removed-contact-${k}`),
        workspace_id: fixtureId('workspace'),
        first_name: k === 0 ? HOSTILE_REMOVED_NAME : `Former${k}`,
        last_name: 'Leaver',
        email: `former.${k}@example.com`,
        created_at: stamp,
        updated_at: stamp,
      }),
    );
  }
  const customers = [
    ...snapshot.customers.filter((customer) => customer.id !== lastCustomer?.id),
    { ...goneCustomer, contact_count: Math.floor(removedCount / 2) },
  ];
  return {
    ...snapshot,
    generated_at: stamp,
    counts: { ...snapshot.counts, contacts: contacts.length, customers: customers.length },
    customers,
    contacts,
  };
}

/** A customer name of the older nights that must stay text on the change page and in the feed. */
export const HOSTILE_NIGHT_CUSTOMER = 'Evil ]]> <script>alert("feed")</script> & Co\u0001';
/** A customer of the older nights that has left the workspace since. */
export const HISTORY_GONE_CUSTOMER = 'Left Since SARL';

/**
 * `nights` nights before `snapshot` was taken, one a day, newest first, as the history would hold them: the
 * oldest a first snapshot, the others naming the snapshot's first two customers and two that no longer
 * exist, one of them with a hostile name (markup, a CDATA end and a control character).
 */
export function makeHistory(snapshot: Snapshot, nights: number): ChangesHistory {
  const taken = Date.parse(snapshot.generated_at);
  const at = (daysBefore: number) => new Date(taken - daysBefore * 86_400_000).toISOString();
  const [first, second] = snapshot.customers;
  const list: ChangesNight[] = [];
  for (let n = 1; n <= nights; n++) {
    const oldest = n === nights;
    list.push({
      generated_at: at(n),
      previous_generated_at: oldest ? null : at(n + 1),
      totals: {
        added: oldest ? snapshot.contacts.length : n,
        removed: oldest ? 0 : 1,
        changed: oldest ? 0 : n + 1,
        unchanged: oldest ? 0 : snapshot.contacts.length - n - 1,
        customers_added: oldest ? snapshot.customers.length : 0,
        customers_removed: oldest ? 0 : 1,
      },
      customers: oldest
        ? []
        : [
            {
              id: first?.id ?? fixtureId('customer-0'),
              name: first?.name ?? null,
              added: n,
              removed: 0,
              changed: 1,
            },
            {
              id: second?.id ?? fixtureId('customer-1'),
              name: second?.name ?? null,
              added: 0,
              removed: 0,
              changed: n,
            },
            {
              id: fixtureId('customer-hostile-gone'),
              name: HOSTILE_NIGHT_CUSTOMER,
              added: 0,
              removed: 2,
              changed: 0,
            },
            {
              id: fixtureId(`customer-left-${n}`),
              name: HISTORY_GONE_CUSTOMER,
              added: 0,
              removed: 1,
              changed: 0,
            },
          ],
      customers_changed: oldest ? 0 : 4,
      customers_added: [],
      customers_removed: oldest ? [] : [{ id: fixtureId(`customer-left-${n}`), name: HISTORY_GONE_CUSTOMER }],
    });
  }
  return { schema_version: 1, nights: list };
}

export {
  makeRejects,
  type PublishOptions,
  RAW_REJECT_VALUE,
  writePublishedSnapshot,
} from './publish-fixture.ts';
