/**
 * Pulls one workspace: `GET /contacts` and `GET /addresses` together (every page of each), then
 * `GET /customers/{id}` for each distinct customer with bounded concurrency (the API has no customer list), in
 * order of need when there is a previous snapshot (see `freshness.ts`). Every record is read once through
 * `normalise.ts`: one without a usable identity, or over a cap, is set aside as a `Reject` with its position,
 * id and reasons; any other bad field is mapped or emptied and noted.
 */
import PQueue from 'p-queue';
import { ApiError } from '../shared/errors.ts';
import type {
  Address,
  Contact,
  Customer,
  Entity,
  ListFacts,
  NormalisedField,
  Reject,
} from '../shared/schema/api.ts';
import { AnswerCapError } from './answer-caps.ts';
import {
  lookupPriority,
  neverRead,
  type PreviousCustomer,
  type PreviousCustomers,
  reusedCustomer,
} from './freshness.ts';
import { type NormaliseResult, normaliseAddress, normaliseContact, normaliseCustomer } from './normalise.ts';
import { type QwotyClient, RetriesExhaustedError } from './qwoty-client.ts';
import { RateLimitWaitError } from './rate-limit.ts';

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

  const customers = createCustomerLookups(client, concurrency, onEvent, refresh, () => failed);
  const interned = new Map<string, string>();
  const intern = (text: string) => {
    const known = interned.get(text);
    if (known !== undefined) return known;
    interned.set(text, text);
    return text;
  };
  const addressesPromise = timed(
    'addresses',
    async () => {
      try {
        return await fetchList(client, 'address', '/addresses', query, normaliseAddress);
      } catch (error) {
        if (isForbidden(error)) {
          warn(
            `The token may not read addresses (${error.status}): contacts are published without addresses.`,
          );
          return { valid: [], rejects: [], normalised: [], total: 0, pages: 0, members: [] };
        }
        throw error;
      }
    },
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
    () => customers.settle(customerIds, warn),
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

/** A record set aside for its size or depth: its reason, never its value. */
function withheld(entity: Entity, index: number | null, id: string | null, reason: string): Reject {
  return {
    entity,
    index,
    id,
    issues: [{ path: '(record)', message: `${reason}; set aside without its value` }],
  };
}

/** What the look-ups know of the previous night and of the time left. */
interface RefreshPlan {
  previous: Promise<PreviousCustomers | null>;
  until: number;
  rateLimited: () => boolean;
  now: () => Date;
}

/**
 * After this many look-ups, all answered 403 and none anything else, the token is taken to lack the permission
 * to read customers, and the rest are not asked: 12,500 refused requests would tell nothing more.
 */
const FORBIDDEN_PROBE = 16;

/**
 * Customer look-ups with bounded concurrency, started by `want` as ids appear and finished by `settle`,
 * which keeps only the customers the final contact list references. A 403 on one customer (a permission on
 * that record) costs only that customer its name; only when every look-up answers 403 do all contacts fall
 * back to customer ids. A 401 (the token revoked mid-run) and any other failure end the run.
 *
 * They go in order of need (`lookupPriority`): customers never read first, as soon as they appear; then those
 * read longest ago, which wait for the whole list once the API has shown a rate limit, so that the quota is
 * spent in that order. At the cut-off the look-ups stop. A customer not looked up by then, or whose look-up
 * kept failing (5xx, timeouts) while others succeeded, keeps its record from the previous snapshot.
 */
function createCustomerLookups(
  client: QwotyClient,
  concurrency: number,
  onEvent: (event: FetchEvent) => void,
  refresh: RefreshPlan,
  stopped: () => boolean,
) {
  // Started once the previous snapshot's customers are known, so that the first look-ups are in order too.
  const queue = new PQueue({ concurrency, autoStart: false });
  const results = new Map<string, { customer: Customer; fields: NormalisedField[] }>();
  const fetchedAt = new Map<string, string>();
  const rejects = new Map<string, Reject>();
  const missing = new Set<string>();
  const forbidden = new Set<string>();
  /** Look-ups answered with anything but a 403. */
  let answered = 0;
  /** Not looked up: the cut-off came first, or the rate limit allowed nothing more before it. */
  const skipped = new Set<string>();
  /** Looked up, but the API kept failing (5xx, timeouts, resets) past every retry. */
  const failed = new Map<string, ApiError>();
  const wanted = new Set<string>();
  /** Ids waiting for the previous snapshot's customers, or for the whole contact list. */
  let waiting: string[] = [];
  let previous: PreviousCustomers | null | undefined;
  let listComplete = false;
  let failure: { error: unknown } | undefined;
  /** The rate limit allows nothing more before the cut-off: the look-ups not yet started stop now. */
  let exhausted = false;
  let done = 0;
  const forbiddenEverywhere = () => answered === 0 && forbidden.size > 0;

  const cutoff = new AbortController();
  const timer = Number.isFinite(refresh.until)
    ? setTimeout(
        () => cutoff.abort(new Error('the look-ups reached their cut-off')),
        refresh.until - Date.now(),
      )
    : undefined;
  // A run that fails before `settle` must not wait for it.
  timer?.unref();
  const ready = refresh.previous.then((found) => {
    previous = found;
    release();
  });

  const lookUp = async (id: string) => {
    if (failure || stopped() || (forbiddenEverywhere() && forbidden.size >= FORBIDDEN_PROBE)) return;
    if (cutoff.signal.aborted || exhausted) skipped.add(id);
    else {
      try {
        const record = await client.get(
          `/customers/${encodeURIComponent(id)}`,
          {},
          { signal: cutoff.signal, notAfter: refresh.until },
        );
        answered += 1;
        const result = normaliseCustomer(record);
        if (result.ok && result.record.id.toLowerCase() === id.toLowerCase()) {
          results.set(id, { customer: result.record, fields: result.fields });
          fetchedAt.set(id, refresh.now().toISOString());
        } else {
          const issues = result.ok ? [{ path: 'id', message: `expected ${id}` }] : result.issues;
          rejects.set(id, toReject('customer', null, record, issues));
        }
      } catch (error) {
        if (cutoff.signal.aborted || error instanceof RateLimitWaitError) {
          skipped.add(id);
          exhausted ||= error instanceof RateLimitWaitError;
        } else if (isForbidden(error)) forbidden.add(id);
        else if (error instanceof ApiError && error.status === 404) {
          answered += 1;
          missing.add(id);
        } else if (error instanceof AnswerCapError) {
          answered += 1;
          rejects.set(id, withheld('customer', null, id, error.reason));
        } else if (error instanceof RetriesExhaustedError) failed.set(id, error);
        else failure ??= { error };
      }
    }
    done += 1;
    onEvent({ type: 'customer', done, total: wanted.size });
  };

  const schedule = (id: string) => {
    const known: PreviousCustomer | undefined = previous?.get(id);
    if (!listComplete && !neverRead(known) && refresh.rateLimited()) waiting.push(id);
    else void queue.add(() => lookUp(id), { priority: lookupPriority(known) });
  };

  /** Queues the ids held so far; all of them before any starts, since a running queue starts the first at once. */
  function release() {
    const ids = waiting;
    waiting = [];
    queue.pause();
    for (const id of ids) schedule(id);
    queue.start();
  }

  const want = (id: string) => {
    if (wanted.has(id)) return;
    wanted.add(id);
    if (previous === undefined) waiting.push(id);
    else schedule(id);
  };

  const settle = async (ids: ReadonlySet<string>, warn: (message: string) => void) => {
    listComplete = true;
    for (const id of [...ids].sort()) want(id);
    await ready;
    release();
    await queue.onIdle();
    clearTimeout(timer);
    if (failure) throw failure.error;
    const customers = new Map<string, Customer>();
    const unreadable = new Map<string, string>();
    if (forbiddenEverywhere()) {
      warn('The token may not read customers (403): contacts are grouped by customer ID instead of name.');
      for (const id of ids) unreadable.set(id, 'the token may not read customers (403)');
      return { customers, fetchedAt: new Map<string, string>(), rejects: [], normalised: [], unreadable };
    }
    const normalised: NormalisedField[] = [];
    for (const id of [...ids].sort()) {
      const found = results.get(id);
      if (found) {
        customers.set(id, found.customer);
        normalised.push(...found.fields);
      } else if (missing.has(id)) unreadable.set(id, 'not found (404): deleted in Qwoty?');
      else if (forbidden.has(id)) unreadable.set(id, 'the token may not read this customer (403)');
      else if (rejects.has(id)) unreadable.set(id, 'its record was set aside (see rejects.json)');
    }
    const failing = [...failed].filter(([id]) => ids.has(id));
    // Not one look-up went through: the API does not serve customers tonight, which is no single customer's
    // trouble. Fail as before rather than publish every customer from an earlier night.
    const [firstFailure] = failing;
    if (firstFailure && results.size === 0) throw firstFailure[1];
    const keep = (stale: readonly string[]) => {
      let kept = 0;
      let oldest: string | null = null;
      for (const id of stale) {
        const earlier = previous?.get(id);
        const record = earlier ? reusedCustomer(earlier) : null;
        if (!earlier?.fetchedAt || !record) continue;
        customers.set(id, record);
        fetchedAt.set(id, earlier.fetchedAt);
        kept += 1;
        if (oldest === null || earlier.fetchedAt < oldest) oldest = earlier.fetchedAt;
      }
      return describeKept(kept, stale.length - kept, oldest);
    };
    const notLookedUp = [...skipped].filter((id) => ids.has(id));
    if (notLookedUp.length > 0) {
      warn(
        `${notLookedUp.length} customer look-up(s) could not be made before this run's cut-off at the pace the API allows: ${keep(notLookedUp)}; they are looked up first on the next night.`,
      );
    }
    if (firstFailure) {
      warn(
        `${failing.length} customer look-up(s) kept failing (${firstFailure[1].message}): ${keep(failing.map(([id]) => id))}.`,
      );
    }
    const kept = [...rejects].filter(([id]) => ids.has(id)).map(([, reject]) => reject);
    const notFound = [...missing].filter((id) => ids.has(id)).length;
    if (notFound > 0)
      warn(`${notFound} customer(s) referenced by contacts were not found (404); they are shown by ID.`);
    const refused = [...forbidden].filter((id) => ids.has(id)).length;
    if (refused > 0)
      warn(`${refused} customer(s) could not be read (403, no permission on them); they are shown by ID.`);
    if (kept.length > 0) {
      warn(`${kept.length} customer record(s) failed validation; they are shown by ID (see rejects.json).`);
    }
    return { customers, fetchedAt, rejects: kept, normalised, unreadable };
  };

  return { want, settle };
}

/** "12 keep the details read on an earlier night (the oldest on 2026-11-20), 3 are shown by ID". */
function describeKept(kept: number, unnamed: number, oldest: string | null): string {
  const parts = [];
  if (kept > 0)
    parts.push(`${kept} keep the details read on an earlier night (the oldest on ${oldest?.slice(0, 10)})`);
  if (unnamed > 0) parts.push(`${unnamed} had never been read and are shown by ID`);
  return parts.join(', ');
}

function toReject(entity: Entity, index: number | null, record: unknown, issues: Reject['issues']): Reject {
  const id =
    record && typeof record === 'object' && 'id' in record && typeof record.id === 'string'
      ? record.id
      : null;
  return {
    entity,
    index,
    id,
    issues,
    record,
  };
}

/** 403 means this token lacks that permission: degrade. 401 (a bad token) stays fatal. */
function isForbidden(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 403;
}
