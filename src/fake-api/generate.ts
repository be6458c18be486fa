/**
 * A deterministic, realistic and deliberately hostile Qwoty workspace, as the real API would send it.
 *
 * Records are raw JSON-shaped objects following the contract in `shared/qwoty-api.md`: they are what the
 * client must parse, not what it produces. Every record except the ones `invalid` and `bent` break on purpose passes
 * the schemas of `src/shared/schema/api.ts`. Hostile values (other scripts, quotes, commas, line breaks, formula-
 * and markup-looking text, leading-zero ids, malformed and duplicated emails, unknown roles, omitted
 * optional fields) are spread through the data, and a fixed list of them is always present (see
 * `HOSTILE_CONTACTS` below), so a test on a small workspace meets every one.
 */

import { placeCases } from './cases.ts';
import {
  BENT_CONTACT_KINDS,
  type BentContactKind,
  bendContact,
  breakContact,
  type CustomerCase,
  HOSTILE_CONTACTS,
  HOSTILE_CUSTOMER_NAMES,
  HOSTILE_TEXT,
  INVALID_CONTACT_KINDS,
  type InvalidContactKind,
  matchEmailToName,
  PLANTED_PROBLEM_CYCLE,
  PLANTED_PROBLEMS,
  placeSpecial,
} from './hostile.ts';
import { createRandom, flat, hex, type Random, timestamps } from './random.ts';
import type { RawAddress, RawContact, RawCustomer } from './raw-records.ts';
import {
  COMPANY_SECTORS,
  COMPANY_WORDS,
  COUNTRIES,
  type CountryProfile,
  externalIds,
  FIRST_NAMES,
  LAST_NAMES,
  pickCountry,
  roles,
  taxIds,
} from './vocabulary.ts';

export { createRandom, type Random } from './random.ts';
export { BENT_CONTACT_KINDS, type BentContactKind, INVALID_CONTACT_KINDS, type InvalidContactKind };

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
  /**
   * The first customers' names, in this order (the hostile customer names then go to the customers after them),
   * for tests that name a customer. Default: none, every name drawn.
   */
  customerNames?: readonly string[] | undefined;
  /** How many of `HOSTILE_CONTACTS`, from the first, to put in place. Default: all of them. */
  hostileContacts?: number | undefined;
  /** True: the hostile contacts are the first contacts, one after the other, rather than spread. Default false. */
  hostileFirst?: boolean | undefined;
  /** How many of `HOSTILE_CUSTOMER_NAMES`, from the first, to give customers. Default: all of them. */
  hostileCustomerNames?: number | undefined;
  /**
   * True: each customer's contacts are one run of `contacts` (the first customer's first, and so on), every
   * customer with about `contactsPerCustomer`, rather than spread at random. Default false.
   */
  grouped?: boolean | undefined;
  /**
   * True: the data problems of `PLANTED_PROBLEMS` (missing, malformed, unlinkable and shared emails; missing,
   * too short, national and extension phones) on every 50 contacts, at fixed places, over the hostile ones;
   * and contacts 1 and 2 of every 50 list their customer's first address. Default false.
   */
  planted?: boolean | undefined;
  /**
   * How many customers a night read on an earlier night (the rate limit having left no time to read them
   * again), spread after the named ones and listed in `Workspace.staleCustomers`. Default 0.
   */
  stale?: number | undefined;
  /**
   * How many customers cannot be read (their look-up refused), spread after the named ones, apart from the stale
   * ones, and listed in `Workspace.unreadableCustomers`. Default 0.
   */
  unreadable?: number | undefined;
  /**
   * True: plain data, for tests that want none of the hostile values: no `HOSTILE_CONTACTS`, no
   * `HOSTILE_CUSTOMER_NAMES`, no `HOSTILE_TEXT` in names and no malformed emails (whatever `hostileContacts` and
   * `hostileCustomerNames` say). Default false.
   */
  plain?: boolean | undefined;
  /**
   * Customers written by hand, with their addresses and contacts (`SPREADSHEET_CASES`, for one): the workspace
   * is these and nothing else, their fields over plain generated records (`contacts` and the options that
   * place hostile values are then ignored). A case's `unreadable` customer is listed in `unreadableCustomers`.
   */
  cases?: readonly CustomerCase[] | undefined;
}

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
  /** The customers `stale` marked as read on an earlier night: positions in `customers`, sorted. */
  staleCustomers: number[];
  /** The customers `unreadable` marked as refused: positions in `customers`, sorted. */
  unreadableCustomers: number[];
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
  if (options.cases) return generateCases(options.cases, options.seed);
  const counts = readCounts(options);
  const plain = options.plain === true;
  const { workspaceId, customerCount, made, contacts } = drawRecords(counts, options.grouped === true, plain);
  const named = options.customerNames ?? [];
  const specials = placeSpecials(contacts, made.customers, {
    ...counts,
    named,
    planted: options.planted ? made.addresses : undefined,
    hostile: HOSTILE_CONTACTS.slice(0, plain ? 0 : (options.hostileContacts ?? HOSTILE_CONTACTS.length)),
    hostileFirst: options.hostileFirst,
    hostileNames: HOSTILE_CUSTOMER_NAMES.slice(
      0,
      plain ? 0 : (options.hostileCustomerNames ?? HOSTILE_CUSTOMER_NAMES.length),
    ),
  });
  return {
    workspaceId,
    seed: counts.seed,
    contacts,
    customers: made.customers,
    addresses: made.addresses,
    ...specials,
    ...placeCustomerStates(customerCount, named.length, counts),
  };
}

/** The records before any hostile value is put in place: ids, who belongs to whom, then the records. */
function drawRecords(counts: Counts, grouped: boolean, plain: boolean) {
  const r = createRandom(counts.seed);
  const workspaceId = r.uuid();
  const customerCount = Math.ceil(counts.contacts / counts.perCustomer);

  const customerIds = Array.from({ length: customerCount }, () => r.uuid());
  const contactIds = Array.from({ length: counts.contacts }, () => r.uuid());

  // Every customer gets one contact, the rest are spread at random: counts vary like in a real workspace.
  const ownerOf = new Uint32Array(counts.contacts);
  const membersByCustomer: number[][] = Array.from({ length: customerCount }, () => []);
  for (let i = 0; i < counts.contacts; i++) {
    const owner = grouped
      ? Math.ceil(((i + 1) * customerCount) / counts.contacts) - 1
      : i < customerCount
        ? i
        : r.int(customerCount);
    ownerOf[i] = owner;
    membersByCustomer[owner]?.push(i);
  }
  const layoutOf: Layout = { r, workspaceId, customerIds, contactIds, ownerOf, membersByCustomer, plain };
  const made = makeCustomers(layoutOf);
  return { r, workspaceId, customerCount, made, contacts: makeContacts(layoutOf, made) };
}

/**
 * The workspace of `cases`: one plain generated contact per case contact, each its own customer, then each
 * case's fields written over its customer, addresses and contacts (see `placeCases`).
 */
function generateCases(cases: readonly CustomerCase[], seed: number | undefined): Workspace {
  const contacts = cases.reduce((sum, item) => sum + item.contacts.length, 0);
  const counts = readCounts({ contacts, seed, contactsPerCustomer: 1 });
  const drawn = drawRecords(counts, true, true);
  return {
    workspaceId: drawn.workspaceId,
    seed: counts.seed,
    ...placeCases({ ...drawn.made, contacts: drawn.contacts }, cases, drawn.r),
    invalidContacts: [],
    bentContacts: [],
    staleCustomers: [],
  };
}

interface Counts {
  contacts: number;
  seed: number;
  perCustomer: number;
  invalid: number;
  bent: number;
  stale: number;
  unreadable: number;
}

/** The options' numbers, checked once. */
function readCounts(options: GenerateWorkspaceOptions): Counts {
  const contacts = checkCount('contacts', options.contacts, 0);
  const invalid = checkCount('invalid', options.invalid ?? 0, 0);
  if (invalid > contacts) {
    throw new RangeError(`Expected \`invalid\` (${invalid}) to be at most \`contacts\` (${contacts})`);
  }
  const bent = checkCount('bent', options.bent ?? 0, 0);
  if (invalid + bent > contacts) {
    throw new RangeError(
      `Expected \`invalid\` and \`bent\` (${invalid + bent}) to be at most \`contacts\` (${contacts})`,
    );
  }
  return {
    contacts,
    seed: checkCount('seed', options.seed ?? 1, 0),
    perCustomer: checkCount('contactsPerCustomer', options.contactsPerCustomer ?? 8, 1),
    invalid,
    bent,
    stale: checkCount('stale', options.stale ?? 0, 0),
    unreadable: checkCount('unreadable', options.unreadable ?? 0, 0),
  };
}

/** The stale and the unreadable customers: spread evenly after the named ones, apart from each other. */
function placeCustomerStates(
  customerCount: number,
  named: number,
  { stale, unreadable }: Pick<Counts, 'stale' | 'unreadable'>,
): Pick<Workspace, 'staleCustomers' | 'unreadableCustomers'> {
  const free = Math.max(0, customerCount - named);
  const shift = (placed: { index: number }[]) => placed.map(({ index }) => index + named);
  const unreadableCustomers = shift(placeSpecial(Math.min(unreadable, free), free, [], ['unreadable']));
  const staleCustomers = shift(
    placeSpecial(
      Math.min(stale, free),
      free,
      unreadableCustomers.map((index) => index - named),
      ['stale'],
      0,
    ),
  );
  return { staleCustomers, unreadableCustomers };
}

/** The workspace's skeleton, drawn first: ids, and which customer each contact belongs to. */
interface Layout {
  r: Random;
  workspaceId: string;
  customerIds: string[];
  contactIds: string[];
  ownerOf: Uint32Array;
  membersByCustomer: number[][];
  /** No hostile text in names, no malformed emails. */
  plain: boolean;
}

/** The customers and their addresses, with what their contacts take from them. */
interface MadeCustomers {
  customers: RawCustomer[];
  addresses: RawAddress[];
  contactAddressIds: Map<number, string[]>;
  customerCountry: CountryProfile[];
  customerDomain: string[];
  customerIsCompany: boolean[];
}

function makeCustomers(layout: Layout): MadeCustomers {
  const { r, customerIds } = layout;
  const made: MadeCustomers = {
    customers: [],
    addresses: [],
    contactAddressIds: new Map<number, string[]>(),
    customerCountry: [],
    customerDomain: [],
    customerIsCompany: [],
  };
  for (let k = 0; k < customerIds.length; k++) {
    const country = pickCountry(r);
    const isCompany = r.chance(0.85);
    const { name, domain } = isCompany ? companyName(r, country) : personName(r);
    made.customerCountry.push(country);
    made.customerDomain.push(domain);
    made.customerIsCompany.push(isCompany);
    const ownAddressIds = makeAddresses(layout, k, country, made);
    made.customers.push(customerRecord(layout, k, { name, isCompany, country, ownAddressIds }));
  }
  return made;
}

/** A company's name, sometimes with a comma before its legal form, and the web domain its people write from. */
function companyName(r: Random, country: CountryProfile): { name: string; domain: string } {
  const word = r.pick(COMPANY_WORDS);
  const sector = r.pick(COMPANY_SECTORS);
  const suffix = r.pick(country.suffixes);
  const name = r.chance(0.15) ? `${word[0]} ${sector[0]}, ${suffix}` : `${word[0]} ${sector[0]} ${suffix}`;
  return { name, domain: flat(`${word[1]}-${sector[1]}.${country.tld}`) };
}

/** An individual customer's name, and a public mail domain. */
function personName(r: Random): { name: string; domain: string } {
  const first = r.pick(FIRST_NAMES);
  const last = r.pick(LAST_NAMES);
  return { name: `${first[0]} ${last[0]}`, domain: r.pick(['example.com', 'example.org', 'example.net']) };
}

/**
 * The billing (and half the time shipping) addresses of customer `k`, added to `made.addresses`; about a third
 * name one of its contacts, recorded in `made.contactAddressIds`. Returns their ids.
 */
function makeAddresses(
  { r, workspaceId, customerIds, contactIds, membersByCustomer }: Layout,
  k: number,
  country: CountryProfile,
  made: MadeCustomers,
): string[] {
  const ownAddressIds: string[] = [];
  for (const type of r.chance(0.5) ? ['billing', 'shipping'] : ['billing']) {
    const addressId = r.uuid();
    ownAddressIds.push(addressId);
    const people = membersByCustomer[k] ?? [];
    const contactIndex = r.chance(0.3) && people.length > 0 ? people[r.int(people.length)] : undefined;
    if (contactIndex !== undefined) {
      const list = made.contactAddressIds.get(contactIndex);
      if (list) list.push(addressId);
      else made.contactAddressIds.set(contactIndex, [addressId]);
    }
    const [created, updated] = timestamps(r);
    const [crm, erp, accounting] = externalIds(r);
    made.addresses.push({
      id: addressId,
      ...(r.next() < 0.03 ? {} : { workspace_id: workspaceId }),
      customer_id: customerIds[k] ?? '',
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
    });
  }
  return ownAddressIds;
}

/** The record `GET /customers/{id}` answers for customer `k`; one in ten omits its contact and address ids. */
function customerRecord(
  { r, workspaceId, customerIds, contactIds, membersByCustomer }: Layout,
  k: number,
  drawn: { name: string; isCompany: boolean; country: CountryProfile; ownAddressIds: string[] },
): RawCustomer {
  const [created, updated] = timestamps(r);
  const [crm, erp, accounting] = externalIds(r);
  return {
    id: customerIds[k] ?? '',
    ...(r.next() < 0.03 ? {} : { workspace_id: workspaceId }),
    name: flat(drawn.name),
    type: drawn.isCompany ? 'company' : 'individual',
    segment_id: r.chance(0.4) ? null : `seg_${r.pick(['smb', 'enterprise', 'public', 'retail'])}`,
    logo: r.chance(0.7) ? null : `https://cdn.qwoty.example/logos/${hex(r.uint32(), 8)}.png`,
    tax_ids: drawn.isCompany ? taxIds(r, drawn.country.code) : [],
    id_crm: crm,
    id_erp: erp,
    id_accounting: accounting,
    ...(r.next() < 0.1
      ? {}
      : {
          contact_ids: (membersByCustomer[k] ?? []).map((i) => contactIds[i] ?? ''),
          address_ids: drawn.ownAddressIds,
        }),
    created_at: created,
    updated_at: updated,
  };
}

/**
 * A contact's email: sometimes none, rarely malformed (never when `plain`), sometimes a shared role address,
 * else made of the name, at the customer's domain for a company.
 */
function drawEmail(
  r: Random,
  [first, last]: readonly [string, string],
  domain: string,
  isCompany: boolean,
  plain: boolean,
): string | null {
  const emailRoll = r.next();
  if (emailRoll < 0.03) return null;
  if (emailRoll < 0.035 && !plain)
    return r.pick([`${first}.${last}@`, `${first}${last}`, `${first} ${last}@${domain}`]);
  if (emailRoll < 0.05 && emailRoll >= 0.035) return `${r.pick(['info', 'contact', 'sales'])}@${domain}`;
  if (isCompany)
    return r.chance(0.7) ? `${first}.${last}@${domain}` : `${first.slice(0, 1)}${last}@${domain}`;
  return `${first}.${last}${r.int(100)}@${domain}`;
}

function makeContacts(
  { r, workspaceId, customerIds, contactIds, ownerOf, plain }: Layout,
  { customers, contactAddressIds, customerCountry, customerDomain, customerIsCompany }: MadeCustomers,
): RawContact[] {
  const contactCount = contactIds.length;
  const contacts: RawContact[] = [];
  for (let i = 0; i < contactCount; i++) {
    const owner = ownerOf[i] ?? 0;
    const country = customerCountry[owner] ?? r.pick(COUNTRIES);
    const domain = customerDomain[owner] ?? 'example.com';
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const [created, updated] = timestamps(r);
    const [crm, erp, accounting] = externalIds(r);

    const email = drawEmail(r, [first[1], last[1]], domain, customerIsCompany[owner] === true, plain);
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
      first_name: r.chance(0.01) && !plain ? r.pick(HOSTILE_TEXT) : first[0],
      last_name: r.chance(0.01) && !plain ? r.pick(HOSTILE_TEXT) : last[0],
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
  return contacts;
}

/**
 * Puts the hostile specimens in place (the named customers first, when there are), plants the data problems
 * when asked, then breaks `invalid` contacts and bends `bent`.
 */
function placeSpecials(
  contacts: RawContact[],
  customers: RawCustomer[],
  options: Pick<Counts, 'invalid' | 'bent'> & {
    named: readonly string[];
    /** The addresses, when the problems are to be planted. */
    planted: readonly RawAddress[] | undefined;
    hostile: typeof HOSTILE_CONTACTS;
    hostileFirst: boolean | undefined;
    hostileNames: readonly string[];
  },
): Pick<Workspace, 'invalidContacts' | 'bentContacts'> {
  const contactCount = contacts.length;
  const hostilePositions = options.hostileFirst
    ? Array.from({ length: Math.min(options.hostile.length, contactCount) }, (_, k) => k)
    : spreadPositions(options.hostile.length, contactCount);
  hostilePositions.forEach((position, k) => {
    const contact = contacts[position];
    const apply = options.hostile[k];
    if (contact && apply) {
      const before = { ...contact };
      apply(contact);
      matchEmailToName(contact, before);
    }
  });
  if (options.planted) plantProblems(contacts, options.planted);
  nameCustomers(customers, options.named, options.hostileNames);

  const invalidContacts = placeSpecial(
    options.invalid,
    contactCount,
    hostilePositions,
    INVALID_CONTACT_KINDS,
  );
  for (const { index, kind } of invalidContacts) {
    const contact = contacts[index];
    if (contact) breakContact(contact, kind);
  }
  const bentContacts = placeSpecial(
    options.bent,
    contactCount,
    [...hostilePositions, ...invalidContacts.map(({ index }) => index)],
    BENT_CONTACT_KINDS,
    0.25,
  );
  for (const { index, kind } of bentContacts) {
    const contact = contacts[index];
    if (contact) bendContact(contact, kind);
  }
  return { invalidContacts, bentContacts };
}

/** The first customers get the `named` names, and the hostile customer names are spread over the others. */
function nameCustomers(
  customers: RawCustomer[],
  named: readonly string[],
  hostileNames: readonly string[],
): void {
  named.forEach((name, position) => {
    const customer = customers[position];
    if (customer) customer.name = name;
  });
  const others = Math.max(0, customers.length - named.length);
  spreadPositions(hostileNames.length, others).forEach((position, k) => {
    const customer = customers[named.length + position];
    const name = hostileNames[k];
    if (customer && name) customer.name = name;
  });
}

/**
 * Contact `i` gets the problem `PLANTED_PROBLEMS` holds at `i % 50`, if any, over its phone or email; and the
 * contacts at 1 and 2 of every 50 list their customer's first address, so that a test finds contacts with an
 * address among the first of each customer.
 */
function plantProblems(contacts: RawContact[], addresses: readonly RawAddress[]): void {
  const firstAddress = new Map<unknown, unknown>();
  for (const address of addresses) {
    if (!firstAddress.has(address.customer_id)) firstAddress.set(address.customer_id, address.id);
  }
  contacts.forEach((contact, i) => {
    PLANTED_PROBLEMS[i % PLANTED_PROBLEM_CYCLE]?.(contact, i);
    const address = firstAddress.get(contact.customer_id);
    const listed = Array.isArray(contact.address_ids) ? contact.address_ids : [];
    if (
      i % PLANTED_PROBLEM_CYCLE <= 2 &&
      i % PLANTED_PROBLEM_CYCLE > 0 &&
      address &&
      !listed.includes(address)
    ) {
      contact.address_ids = [...listed, address];
    }
  });
}

/** The record without its `undefined` fields: the API omits such fields rather than sending `null`. */
function withoutAbsent(record: RawContact): RawContact {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
