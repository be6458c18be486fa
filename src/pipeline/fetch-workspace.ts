/**
 * Pulls one workspace: `GET /contacts` and `GET /addresses` together (every page of each), then
 * `GET /customers/{id}` for each distinct customer with bounded concurrency (the API has no customer list), in
 * order of need when there is a previous snapshot (see `freshness.ts`). Every record is read once through
 * `normalise.ts`: one without a usable identity, or over a cap, is set aside as a `Reject` with its position,
 * id and reasons; any other bad field is mapped or emptied and noted.
 */
import type {
  Address,
  Contact,
  Customer,
  Entity,
  ListFacts,
  NormalisedField,
  Reject,
} from '../shared/schema/api.ts';
import { CustomerLookups, lookupWarnings, type RefreshPlan } from './customer-lookups.ts';
import type { PreviousCustomers } from './freshness.ts';
import { type NormaliseResult, normaliseAddress, normaliseContact } from './normalise.ts';
import type { QwotyClient } from './qwoty-client.ts';
import { isForbidden, toReject, withheld } from './set-aside.ts';

export interface FetchWorkspaceOptions {
  client: QwotyClient;
  /** Only this customer's contacts and addresses. */
  customerId?: string | null;
  /** Parallel customer look-ups. Default 8. */
  concurrency?: number;
  /** Told when each phase starts and ends, and after each customer look-up. */
  onEvent?: (event: FetchEvent) => void;
  /**
   * The previous snapshot's customers: the look-ups go in order of need, and a customer not read tonight
   * keeps its record from there. Default: none (a first night).
   */
  previousCustomers?: Promise<PreviousCustomers | null> | undefined;
  /**
   * When the look-ups stop (ms since the epoch), so the run can publish before its deadline: those not
   * made by then keep their previous record. Default: no cut-off.
   */
  lookupsUntil?: number | undefined;
  /**
   * True once the API has shown a rate limit. Customers read on an earlier night then wait for the whole
   * contact list, so that the quota goes to them oldest first rather than in the order they stream in.
   */
  rateLimited?: (() => boolean) | undefined;
  /** The clock of `fetchedAt`. Default: the system's. */
  now?: (() => Date) | undefined;
}

export type FetchEvent =
  | { type: 'phase-start'; phase: Phase }
  | { type: 'phase-end'; phase: Phase; count: number; ms: number }
  | { type: 'customer'; done: number; total: number }
  | { type: 'warning'; message: string };

export type Phase = 'contacts' | 'addresses' | 'customers';

export interface FetchedWorkspace {
  contacts: Contact[];
  /** Every customer that could be read, or whose earlier record is kept, by id. */
  customers: Map<string, Customer>;
  /**
   * When each customer's record in `customers` was read from the API (ISO 8601), by id; a record missing
   * here counts as read when the snapshot is taken.
   */
  fetchedAt?: Map<string, string>;
  addresses: Address[];
  rejects: Reject[];
  /** How many contact records the API sent, valid or not: the base of the invalid share. */
  contactRecords: number;
  /** Fields of kept records that were mapped from an alternate shape or published empty. */
  normalised: NormalisedField[];
  /** Why a customer referenced by contacts has no record here (not found, forbidden, set aside), by id. */
  unreadableCustomers: Map<string, string>;
  /** How each list endpoint answered, by path. */
  lists: Record<string, ListFacts>;
  /** Degradations to show the user and record in the snapshot. */
  warnings: string[];
}

export async function fetchWorkspace(options: FetchWorkspaceOptions): Promise<FetchedWorkspace> {
  const { client, customerId = null, concurrency = 8 } = options;
  // Once a list fails, the failure is the run's last word: no event is reported, no look-up starts.
  let failed = false;
  const onEvent = (event: FetchEvent) => {
    if (!failed) options.onEvent?.(event);
  };
  const refresh: RefreshPlan = {
    previous: options.previousCustomers ?? Promise.resolve(null),
    until: options.lookupsUntil ?? Number.POSITIVE_INFINITY,
    rateLimited: options.rateLimited ?? (() => false),
    now: options.now ?? (() => new Date()),
  };
  const query = { customer_id: customerId ?? undefined };
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    onEvent({ type: 'warning', message });
  };

  const timed = async <T>(phase: Phase, run: () => Promise<T>, count: (value: T) => number) => {
    onEvent({ type: 'phase-start', phase });
    const started = performance.now();
    const value = await run();
    onEvent({ type: 'phase-end', phase, count: count(value), ms: performance.now() - started });
    return value;
  };

  const customers = new CustomerLookups({
    client,
    concurrency,
    refresh,
    onProgress: (done, total) => onEvent({ type: 'customer', done, total }),
    stopped: () => failed,
  });
  const interned = new Map<string, string>();
  const intern = (text: string) => {
    const known = interned.get(text);
    if (known !== undefined) return known;
    interned.set(text, text);
    return text;
  };
  const addressesPromise = timed(
    'addresses',
    () => fetchAddresses(client, query, warn),
    (list) => list.valid.length,
  );
  // Both lists load together; the addresses' failure must not go unhandled while contacts load.
  addressesPromise.catch(() => {});

  // Each customer is looked up as soon as its first contact arrives, while the contacts still stream in.
  let contacts: Awaited<ReturnType<typeof fetchList<Contact>>>;
  let addresses: Awaited<typeof addressesPromise>;
  try {
    contacts = await timed(
      'contacts',
      () =>
        fetchList(client, 'contact', '/contacts', query, normaliseContact, (contact) => {
          // 100,000 copies of a few thousand ids would cost megabytes: keep one string per distinct id.
          contact.customer_id = intern(contact.customer_id);
          contact.workspace_id = contact.workspace_id === null ? null : intern(contact.workspace_id);
          customers.want(contact.customer_id);
        }),
      (list) => list.valid.length,
    );
    addresses = await addressesPromise;
  } catch (error) {
    failed = true;
    throw error;
  }
  const customerIds = new Set(contacts.valid.map((contact) => contact.customer_id));
  const lookedUp = await timed(
    'customers',
    async () => {
      const result = await customers.settle(customerIds);
      for (const message of lookupWarnings(result.trouble)) warn(message);
      return result;
    },
    (result) => result.customers.size,
  );

  return {
    contacts: contacts.valid,
    customers: lookedUp.customers,
    fetchedAt: lookedUp.fetchedAt,
    addresses: addresses.valid,
    rejects: [...contacts.rejects, ...addresses.rejects, ...lookedUp.rejects],
    contactRecords: contacts.total,
    normalised: [...contacts.normalised, ...addresses.normalised, ...lookedUp.normalised],
    unreadableCustomers: lookedUp.unreadable,
    lists: {
      '/contacts': { pages: contacts.pages, members: contacts.members },
      ...(addresses.pages > 0
        ? { '/addresses': { pages: addresses.pages, members: addresses.members } }
        : {}),
    },
    warnings,
  };
}

/** Every address, or none when the token may not read them (403): the contacts are then published without. */
async function fetchAddresses(
  client: QwotyClient,
  query: Record<string, string | undefined>,
  warn: (message: string) => void,
) {
  try {
    return await fetchList(client, 'address', '/addresses', query, normaliseAddress);
  } catch (error) {
    if (!isForbidden(error)) throw error;
    warn(`The token may not read addresses (${error.status}): contacts are published without addresses.`);
    return { valid: [], rejects: [], normalised: [], total: 0, pages: 0, members: [] };
  }
}

/**
 * Streams a list endpoint, every page of it, normalising each record as it arrives; a retried page forgets
 * what its failed attempt handed over.
 */
async function fetchList<T>(
  client: QwotyClient,
  entity: Entity,
  path: string,
  query: Record<string, string | undefined>,
  normalise: (raw: unknown) => NormaliseResult<T>,
  onValid: (record: T) => void = () => {},
) {
  const valid: T[] = [];
  const rejects: Reject[] = [];
  const normalised: NormalisedField[] = [];
  let page = { start: -1, valid: 0, rejects: 0, normalised: 0 };
  const summary = await client.getList(path, query, {
    onPage: (start) => {
      if (start === page.start) {
        valid.length = page.valid;
        rejects.length = page.rejects;
        normalised.length = page.normalised;
      } else page = { start, valid: valid.length, rejects: rejects.length, normalised: normalised.length };
    },
    onItem: (record, index) => {
      const result = normalise(record);
      if (result.ok) {
        valid.push(result.record);
        for (const field of result.fields) normalised.push(field);
        onValid(result.record);
      } else rejects.push(toReject(entity, index, record, result.issues));
    },
    onSetAside: (index, { id, reason }) => rejects.push(withheld(entity, index, id, reason)),
  });
  return { valid, rejects, normalised, total: summary.count, pages: summary.pages, members: summary.members };
}
