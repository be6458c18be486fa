/**
 * Test fixtures for the site: a deterministic `Snapshot` of any size, a thin preset over the generator
 * (`src/fake-api/generate.ts`, its vocabulary and its hostile cases) assembled by the pipeline's own
 * `buildSnapshot`: named customers first, contacts in runs per customer, the data problems the quality report
 * finds planted every 50 contacts, stale and unreadable customers; with the previous night, the rejects and
 * the history to publish it with (`writePublishedSnapshot`, through the pipeline's own publish). Used by the
 * unit tests, the end-to-end tests and `npm run bench:site`.
 */
import { generateWorkspace } from '../fake-api/generate.ts';
import { FIRST_HOSTILE_CONTACTS } from '../fake-api/hostile.ts';
import { parsePhone } from '../pipeline/phone.ts';
import type { Snapshot, SnapshotContact, SnapshotCustomer } from '../shared/schema/published.ts';
import type { ChangesHistory, ChangesNight } from '../shared/schema/reports.ts';
import { snapshotOfWorkspace } from './generated-snapshot.ts';
import { makeRejects } from './publish-fixture.ts';
import { fixtureId, snapshotContact, snapshotCustomer } from './records.ts';

export { UNLINKABLE_EMAILS } from '../fake-api/hostile.ts';

export interface FixtureOptions {
  /** Number of contacts (at least 1). */
  contacts: number;
  /** Contacts per customer; 8 by default. */
  perCustomer?: number;
  demo?: boolean;
}

/**
 * The fixture's first customers, in this order, by what tests look them up for: markup and quotes in a name,
 * accents, Arabic, and one a search for "globex" finds.
 */
export const FIXTURE_CUSTOMERS = {
  markup: '<b>Bold</b> & "Quoted" Ltd',
  accented: 'Société Générale Ñúñez',
  arabic: 'شركة الأمل',
  globex: 'Globex Ltd',
} as const;

/** A named customer of `snapshot` (see `FIXTURE_CUSTOMERS`); throws when the snapshot has none. */
export function fixtureCustomer(snapshot: Snapshot, which: keyof typeof FIXTURE_CUSTOMERS): SnapshotCustomer {
  const customer = snapshot.customers.find((item) => item.name === FIXTURE_CUSTOMERS[which]);
  if (!customer) throw new Error(`The fixture has no customer named ${FIXTURE_CUSTOMERS[which]}`);
  return customer;
}

/**
 * The contact carrying the generator's first hostile case (`HOSTILE_CONTACTS[0]`: markup in both names, a
 * malformed phone), found by its email; throws when the snapshot has none.
 */
export function markupContact(snapshot: Snapshot): SnapshotContact {
  const contact = snapshot.contacts.find((item) => item.email === 'xss@example.com');
  if (!contact) throw new Error('The fixture has no contact of the first hostile case');
  return contact;
}

/** The customer `makePreviousSnapshot` adds since the day before: the last one with a name. */
export function addedCustomer(snapshot: Snapshot): SnapshotCustomer | undefined {
  return snapshot.customers.findLast((customer) => customer.name !== null);
}

/** When the fixture's stale customers (one in eleven) were read: 10 days before the snapshot. */
export const STALE_CUSTOMER_READ_AT = '2026-01-05T03:00:00.000Z';

/** The night the fixture's snapshot was taken. */
const STAMP = '2026-01-15T03:00:00.000Z';
/** When the other customers were read: during that night. */
const READ_AT = '2026-01-15T03:01:00.000Z';

/**
 * Builds a valid snapshot of `contacts` contacts grouped in customers of `perCustomer` each: the generator's
 * workspace with the fixture's options, read as a night reads it and assembled by `buildSnapshot`.
 */
export function makeSnapshot(options: FixtureOptions): Snapshot {
  const contacts = Math.max(1, Math.floor(options.contacts));
  const customers = Math.ceil(contacts / (options.perCustomer ?? 8));
  const generated = generateWorkspace({
    contacts,
    seed: 1,
    contactsPerCustomer: options.perCustomer ?? 8,
    customerNames: Object.values(FIXTURE_CUSTOMERS),
    // The hostile cases page tests name; the named customers carry markup, accents and Arabic.
    hostileContacts: FIRST_HOSTILE_CONTACTS,
    hostileFirst: true,
    hostileCustomerNames: 0,
    grouped: true,
    planted: true,
    // As many as the first fixture had: one in eleven customers stale, one in 97 unreadable.
    stale: Math.floor((customers + 6) / 11),
    unreadable: Math.floor((customers + 91) / 97),
  });
  const stale = new Set(generated.staleCustomers);
  return snapshotOfWorkspace(generated, {
    source: {
      host: options.demo ? '127.0.0.1:4010' : 'qwoty.app',
      customer_id: null,
      demo: options.demo ?? false,
    },
    generatedAt: STAMP,
    readAt: (position) => (stale.has(position) ? STALE_CUSTOMER_READ_AT : READ_AT),
    rejects: makeRejects(1),
  });
}

/** The name of a contact that was only in the previous snapshot: shown as text on the change page. */
export const HOSTILE_REMOVED_NAME = '<script>alert("removed")</script>';
/**
 * The contacts of the markup customer (`FIXTURE_CUSTOMERS.markup`) that `makePreviousSnapshot` changes, in
 * the snapshot's order: its first contact (email and phone), the first after it with an address and other
 * roles than `legal`, or else the second (roles and addresses), and the one after that (first name); then the one it adds, the
 * first of the others.
 */
export function changedContacts(snapshot: Snapshot): {
  changed: SnapshotContact[];
  added: SnapshotContact | undefined;
} {
  const first = namedCustomer(snapshot, 'markup') ?? snapshot.customers[0];
  const contacts = first ? customerContacts(snapshot, first) : [];
  const withAddress = contacts.findIndex(
    (contact, index) => index > 0 && contact.addresses.length > 0 && contact.role.join() !== 'legal',
  );
  const second = withAddress > 0 ? withAddress : 1;
  const changed = [contacts[0], contacts[second], contacts[second + 1]].filter(
    (contact): contact is SnapshotContact => contact !== undefined,
  );
  return { changed, added: contacts.find((contact) => !changed.includes(contact)) };
}

/**
 * The snapshot taken the day before `snapshot`, such that comparing them finds every kind of change: the
 * last customer with a name and its contacts, and one contact of the markup customer, were added since;
 * `removed` contacts (one of them named like a script) and one customer were removed since; three of the
 * markup customer's contacts changed (email and phone; roles and addresses; first name): see `changedContacts`.
 */
export function makePreviousSnapshot(snapshot: Snapshot, options: { removed?: number } = {}): Snapshot {
  const removedCount = options.removed ?? 3;
  const lastCustomer = addedCustomer(snapshot);
  const keptCustomer = namedCustomer(snapshot, 'accented') ?? snapshot.customers[0];
  const { changed, added } = changedContacts(snapshot);
  const markup = namedCustomer(snapshot, 'markup');
  const goneCustomer = snapshotCustomer({
    id: fixtureId('customer-gone'),
    name: 'Gone <i>Away</i> GmbH',
    type: 'company',
  });
  const stamp = '2026-01-14T03:00:00.000Z';
  const before = new Map<SnapshotContact | undefined, (contact: SnapshotContact) => SnapshotContact>([
    [
      changed[0],
      (contact) => ({
        ...contact,
        email: 'old.xss@example.com',
        phone: '+33 6 00 00 00 00',
        phone_parsed: parsePhone('+33 6 00 00 00 00'),
        updated_at: stamp,
      }),
    ],
    [
      changed[1],
      (contact) => {
        // None the day before, or, for a contact with none today, its customer's first.
        const earlier = contact.addresses.length > 0 ? [] : (markup?.addresses.slice(0, 1) ?? []);
        const address_ids = earlier.map((address) => address.id);
        return { ...contact, role: ['legal'], address_ids, addresses: earlier, updated_at: stamp };
      },
    ],
    [changed[2], (contact) => ({ ...contact, first_name: 'Mohammed', updated_at: stamp })],
  ]);
  const contacts = snapshot.contacts.flatMap((contact) =>
    contact === added || contact.customer_id === lastCustomer?.id
      ? []
      : [before.get(contact)?.(contact) ?? contact],
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

/** The named customer of `snapshot`, if it has it. */
function namedCustomer(snapshot: Snapshot, which: keyof typeof FIXTURE_CUSTOMERS) {
  return snapshot.customers.find((item) => item.name === FIXTURE_CUSTOMERS[which]);
}

/** The contacts of `customer` in `snapshot`, in the snapshot's order. */
export function customerContacts(
  snapshot: Snapshot,
  customer: Pick<SnapshotCustomer, 'id'>,
): SnapshotContact[] {
  return snapshot.contacts.filter((contact) => contact.customer_id === customer.id);
}

/**
 * `nights` nights before `snapshot` was taken, one a day, newest first, as the history would hold them: the
 * oldest a first snapshot, the others naming the markup and the accented customers and two that no longer
 * exist, one of them with a hostile name (markup, a CDATA end and a control character).
 */
export function makeHistory(snapshot: Snapshot, nights: number): ChangesHistory {
  const taken = Date.parse(snapshot.generated_at);
  const at = (daysBefore: number) => new Date(taken - daysBefore * 86_400_000).toISOString();
  const first = namedCustomer(snapshot, 'markup') ?? snapshot.customers[0];
  const second = namedCustomer(snapshot, 'accented') ?? snapshot.customers[1];
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
