/**
 * Test fixtures for the site: a deterministic `Snapshot` of any size, full of hostile values and of the data
 * problems the quality report finds, and a writer that publishes it in the same layout as the pipeline
 * (`.snapshots/<run-id>/…`, `current`, top-level links) with a correct manifest and the real change and
 * quality reports. Used by the unit tests, the end-to-end tests and `npm run bench:site`.
 */
import { parsePhone } from '../pipeline/phone.ts';
import type {
  AddressSummary,
  ChangesHistory,
  ChangesNight,
  Snapshot,
  SnapshotContact,
  SnapshotCustomer,
} from '../shared/schema.ts';
import { KNOWN_ROLES } from '../shared/schema.ts';
import { fixtureId, snapshotContact, snapshotCustomer } from './records.ts';

export interface FixtureOptions {
  /** Number of contacts (at least 1). */
  contacts: number;
  /** Mean contacts per customer; 8 by default. */
  perCustomer?: number;
  demo?: boolean;
}

/** Names that must be shown as text and searched without accents; the first few contacts get them. */
export const HOSTILE_CONTACTS = [
  {
    first_name: '<script>alert(1)</script>',
    last_name: '<img src=x onerror=alert(2)>',
    email: 'xss@example.com',
    // Malformed, so the quality report shows this name and this value too.
    phone: '+33 <script>alert(3)</script>',
  },
  { first_name: 'Zoë', last_name: 'Ñúñez', email: 'zoe.nunez@example.com' },
  { first_name: 'محمد', last_name: 'الفارسي', email: 'mohammed@example.com' },
  { first_name: 'Seán "Jack"', last_name: "O'Brien & Sons", email: 'sean.obrien@example.com' },
  { first_name: 'Björn', last_name: 'Ångström', email: 'bjorn@example.com' },
] as const;

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

/** Builds a valid snapshot of `contacts` contacts grouped in customers, hostile values first. */
export function makeSnapshot(options: FixtureOptions): Snapshot {
  const total = Math.max(1, Math.floor(options.contacts));
  const perCustomer = options.perCustomer ?? 8;
  const customerCount = Math.max(1, Math.ceil(total / perCustomer));
  const customers: SnapshotCustomer[] = [];
  const contacts: SnapshotContact[] = [];
  const stamp = '2026-01-15T03:00:00.000Z';
  // Customers read during the night of the snapshot, but every eleventh (from the fifth) kept the record read
  // ten days before: the rate limit left no time to read it again (see STALE_CUSTOMER_READ_AT).
  const readTonight = '2026-01-15T03:01:00.000Z';
  let addressCount = 0;

  for (let c = 0; c < customerCount; c++) {
    const id = fixtureId(`customer-${c}`);
    const readable = c % 97 !== 5;
    const name =
      c === 0
        ? '<b>Bold</b> & "Quoted" Ltd'
        : c === 1
          ? 'Société Générale Ñúñez'
          : c === 2
            ? 'شركة الأمل'
            : `${COMPANY[c % COMPANY.length]} ${SUFFIX[(c >> 3) % SUFFIX.length]} ${c}`;
    const addresses: AddressSummary[] = [];
    for (let a = 0; a < 1 + (c % 2); a++) {
      const country = COUNTRIES[(c + a) % COUNTRIES.length] ?? 'FR';
      const city = CITIES[(c + a) % CITIES.length] ?? 'Paris';
      addresses.push({
        id: fixtureId(`address-${c}-${a}`),
        type: a === 0 ? 'billing' : 'shipping',
        label: a === 0 ? 'Head office' : null,
        summary: `${10 + a} rue de la Paix, 7500${a} ${city}, ${country}`,
        street: `${10 + a} rue de la Paix`,
        postal_code: `7500${a}`,
        city,
        region: null,
        country,
      });
      addressCount++;
    }
    const start = Math.floor((c * total) / customerCount);
    const end = Math.floor(((c + 1) * total) / customerCount);
    for (let i = start; i < end; i++) {
      const hostile = HOSTILE_CONTACTS[i];
      const first = hostile?.first_name ?? FIRST[i % FIRST.length] ?? 'Jean';
      const last = hostile?.last_name ?? `${LAST[(i >> 2) % LAST.length]}${i}`;
      const roles = [ROLES[i % ROLES.length] ?? 'buyer'];
      if (i % 3 === 0) roles.push(ROLES[(i + 2) % ROLES.length] ?? 'signer');
      const own = addresses.slice(0, 1 + (i % 2)).filter((_, index) => i % 5 !== 0 || index > 0);
      // One of each data problem every 50 contacts (missing phones come from i % 11 === 3 below), and the
      // unlinkable addresses.
      const flaw = i % 50;
      const phone =
        (hostile && 'phone' in hostile ? hostile.phone : undefined) ??
        (i % 11 === 3 || flaw === 8
          ? null
          : flaw === 10
            ? '12'
            : flaw === 20
              ? // An extension, which a link must carry as `;ext=10`.
                `+33 1 20 57 ${pad(i % 100)} ${pad(c % 100)} ext. 10`
              : flaw === 21
                ? // The national form, which publish reads as a number of the default country (FR).
                  `04 72 ${pad(i % 100)} ${pad(c % 100)} ${pad(Math.floor(i / 100) % 100)}`
                : `+33 6 ${pad(i % 100)} ${pad(Math.floor(i / 100) % 100)} ${pad(Math.floor(i / 10_000) % 100)} ${pad(c % 100)}`);
      const email =
        hostile?.email ??
        UNLINKABLE_EMAILS[flaw - 11] ??
        (flaw === 7 || flaw === 8
          ? null
          : flaw === 9
            ? `${first.toLowerCase()}.${last.toLowerCase()} at example.com`
            : flaw === 24 || flaw === 25
              ? `Team${Math.floor(i / 50)}@Example.com`
              : `${first.toLowerCase()}.${last.toLowerCase()}@example.com`);
      contacts.push({
        id: fixtureId(`contact-${i}`),
        workspace_id: fixtureId('workspace'),
        customer_id: id,
        first_name: first,
        last_name: last,
        email,
        phone,
        role: roles,
        id_crm: i % 2 === 0 ? `CRM-${i}` : null,
        id_erp: i % 4 === 0 ? `ERP-${i}` : null,
        id_accounting: null,
        address_ids: own.map((address) => address.id),
        created_at: stamp,
        updated_at: stamp,
        customer_name: readable ? name : null,
        customer_type: readable ? (c % 4 === 3 ? 'individual' : 'company') : null,
        addresses: own,
        // As publish reads it, with the default country.
        phone_parsed: parsePhone(phone),
      });
    }
    customers.push({
      id,
      name: readable ? name : null,
      type: readable ? (c % 4 === 3 ? 'individual' : 'company') : null,
      segment_id: null,
      id_crm: `CUST-${c}`,
      id_erp: null,
      id_accounting: null,
      tax_ids: c % 2 === 0 ? [{ tax: 'VAT', tax_value: `FR${c}` }] : [],
      addresses,
      contact_count: end - start,
      fetched_at: readable ? (c % 11 === 4 ? STALE_CUSTOMER_READ_AT : readTonight) : null,
    });
  }

  return {
    schema_version: 1,
    generated_at: stamp,
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
