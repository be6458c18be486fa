/**
 * The customer look-ups of a fetch run: `GET /customers/{id}` for each distinct customer its contacts name,
 * with bounded concurrency, in order of need (see `freshness.ts`). Three parts, each one job:
 * - `CustomerLookups` schedules and makes the look-ups, and notes what each came to (`LookupOutcomes`);
 * - `assembleCustomers` turns those outcomes into the customers to publish, and the trouble met on the way;
 * - `lookupWarnings` words that trouble for the user.
 */
import PQueue from 'p-queue';
import { ApiError } from '../shared/errors.ts';
import type { Customer, NormalisedField, Reject } from '../shared/schema/api.ts';
import { AnswerCapError } from './answer-caps.ts';
import { lookupPriority, neverRead, type PreviousCustomers, reusedCustomer } from './freshness.ts';
import { normaliseCustomer } from './normalise.ts';
import { type QwotyClient, RetriesExhaustedError } from './qwoty-client.ts';
import { RateLimitWaitError } from './rate-limit.ts';
import { isForbidden, toReject, withheld } from './set-aside.ts';

/** What the look-ups know of the previous night and of the time left. */
export interface RefreshPlan {
  previous: Promise<PreviousCustomers | null>;
  until: number;
  rateLimited: () => boolean;
  now: () => Date;
}

export interface CustomerLookupsOptions {
  client: QwotyClient;
  /** Parallel look-ups. */
  concurrency: number;
  refresh: RefreshPlan;
  /** Told after each look-up: how many are done, of how many wanted so far. */
  onProgress: (done: number, total: number) => void;
  /** True once the run failed elsewhere: no look-up starts, no progress is told. */
  stopped: () => boolean;
}

/** The customers of the final contact list, and what kept some of them from being read tonight. */
export interface LookedUpCustomers {
  /** Every customer read tonight, or whose earlier record is kept, by id. */
  customers: Map<string, Customer>;
  /** When each record in `customers` was read from the API (ISO 8601), by id. */
  fetchedAt: Map<string, string>;
  /** The customer records that failed validation. */
  rejects: Reject[];
  normalised: NormalisedField[];
  /** Why a customer has no record here, by id. */
  unreadable: Map<string, string>;
  trouble: LookupTrouble;
}

/** What kept customers from being read tonight, in numbers: `lookupWarnings` words it. */
export interface LookupTrouble {
  /** Every look-up answered 403: the token may not read customers at all. The other fields are then empty. */
  forbiddenEverywhere: boolean;
  /** Look-ups not made before the cut-off, and how many of those kept an earlier record. */
  notLookedUp: KeptFromEarlier | null;
  /** Look-ups that kept failing past every retry, the first one's reason, and how many kept an earlier record. */
  failing: (KeptFromEarlier & { reason: string }) | null;
  /** Customers not found (404). */
  notFound: number;
  /** Customers the token may not read (403) while others could be read. */
  refused: number;
  /** Customer records that failed validation. */
  invalid: number;
}

/** Of `count` customers not read tonight, how many kept their record from an earlier night. */
export interface KeptFromEarlier {
  count: number;
  kept: number;
  /** When the oldest kept record was read (ISO 8601), or null when none was kept. */
  oldest: string | null;
}

/**
 * After this many look-ups, all answered 403 and none anything else, the token is taken to lack the permission
 * to read customers, and the rest are not asked: 12,500 refused requests would tell nothing more.
 */
const FORBIDDEN_PROBE = 16;

/** What each look-up came to, by customer id. */
export class LookupOutcomes {
  /** Read and valid. */
  readonly read = new Map<string, { customer: Customer; fields: NormalisedField[] }>();
  /** When each customer in `read` was read; the assembly adds those whose earlier record is kept. */
  readonly fetchedAt = new Map<string, string>();
  /** Read, but set aside: invalid, another customer's record, or over a cap. */
  readonly rejects = new Map<string, Reject>();
  /** Not found (404). */
  readonly missing = new Set<string>();
  /** Refused (403). */
  readonly forbidden = new Set<string>();
  /** Not looked up: the cut-off came first, or the rate limit allowed nothing more before it. */
  readonly skipped = new Set<string>();
  /** Looked up, but the API kept failing (5xx, timeouts, resets) past every retry. */
  readonly failed = new Map<string, ApiError>();
  /** Look-ups answered with anything but a 403. */
  answered = 0;

  /** Every look-up answered so far was a 403. */
  forbiddenEverywhere(): boolean {
    return this.answered === 0 && this.forbidden.size > 0;
  }

  /** Enough look-ups answered 403, and none anything else, to ask no more. */
  forbiddenProven(): boolean {
    return this.forbiddenEverywhere() && this.forbidden.size >= FORBIDDEN_PROBE;
  }

  /** The API answered `record` for `id`: kept when it is valid and that customer's, else set aside. */
  answer(id: string, record: unknown, now: () => Date): void {
    this.answered += 1;
    const result = normaliseCustomer(record);
    if (result.ok && result.record.id.toLowerCase() === id.toLowerCase()) {
      this.read.set(id, { customer: result.record, fields: result.fields });
      this.fetchedAt.set(id, now().toISOString());
    } else {
      const issues = result.ok ? [{ path: 'id', message: `expected ${id}` }] : result.issues;
      this.rejects.set(id, toReject('customer', null, record, issues));
    }
  }
}

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
export class CustomerLookups {
  readonly #options: CustomerLookupsOptions;
  // Started once the previous snapshot's customers are known, so that the first look-ups are in order too.
  readonly #queue: PQueue;
  readonly #outcomes = new LookupOutcomes();
  readonly #wanted = new Set<string>();
  /** Ids waiting for the previous snapshot's customers, or for the whole contact list. */
  #waiting: string[] = [];
  #previous: PreviousCustomers | null | undefined;
  #listComplete = false;
  #failure: { error: unknown } | undefined;
  /** The rate limit allows nothing more before the cut-off: the look-ups not yet started stop now. */
  #exhausted = false;
  #done = 0;
  readonly #cutoff = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #ready: Promise<void>;

  constructor(options: CustomerLookupsOptions) {
    this.#options = options;
    this.#queue = new PQueue({ concurrency: options.concurrency, autoStart: false });
    const { until, previous } = options.refresh;
    this.#timer = Number.isFinite(until)
      ? setTimeout(
          () => this.#cutoff.abort(new Error('the look-ups reached their cut-off')),
          until - Date.now(),
        )
      : undefined;
    // A run that fails before `settle` must not wait for it.
    this.#timer?.unref();
    this.#ready = previous.then((found) => {
      this.#previous = found;
      this.#release();
    });
  }

  /** Looks up this customer, once, as soon as its turn comes. */
  want(id: string): void {
    if (this.#wanted.has(id)) return;
    this.#wanted.add(id);
    if (this.#previous === undefined) this.#waiting.push(id);
    else this.#schedule(id);
  }

  /**
   * Once the contact list is complete (`ids`, the customers it references): waits for every look-up, then
   * assembles the customers to publish. Throws what ended the look-ups, if anything did.
   */
  async settle(ids: ReadonlySet<string>): Promise<LookedUpCustomers> {
    this.#listComplete = true;
    for (const id of [...ids].sort()) this.want(id);
    await this.#ready;
    this.#release();
    await this.#queue.onIdle();
    clearTimeout(this.#timer);
    if (this.#failure) throw this.#failure.error;
    return assembleCustomers(ids, this.#outcomes, this.#previous ?? null);
  }

  /** Queues the id now, or holds it while the rate limit makes older customers wait for the whole list. */
  #schedule(id: string): void {
    const known = this.#previous?.get(id);
    if (!this.#listComplete && !neverRead(known) && this.#options.refresh.rateLimited())
      this.#waiting.push(id);
    else void this.#queue.add(() => this.#lookUp(id), { priority: lookupPriority(known) });
  }

  /** Queues the ids held so far; all of them before any starts, since a running queue starts the first at once. */
  #release(): void {
    const ids = this.#waiting;
    this.#waiting = [];
    this.#queue.pause();
    for (const id of ids) this.#schedule(id);
    this.#queue.start();
  }

  async #lookUp(id: string): Promise<void> {
    if (this.#failure || this.#options.stopped() || this.#outcomes.forbiddenProven()) return;
    if (this.#cutoff.signal.aborted || this.#exhausted) this.#outcomes.skipped.add(id);
    else await this.#read(id);
    this.#done += 1;
    this.#options.onProgress(this.#done, this.#wanted.size);
  }

  async #read(id: string): Promise<void> {
    const { client, refresh } = this.#options;
    try {
      const record = await client.get(
        `/customers/${encodeURIComponent(id)}`,
        {},
        { signal: this.#cutoff.signal, notAfter: refresh.until },
      );
      this.#outcomes.answer(id, record, refresh.now);
    } catch (error) {
      this.#failed(id, error);
    }
  }

  /** Notes why a look-up failed; a failure that is no single customer's ends the look-ups. */
  #failed(id: string, error: unknown): void {
    const outcomes = this.#outcomes;
    if (this.#cutoff.signal.aborted || error instanceof RateLimitWaitError) {
      outcomes.skipped.add(id);
      this.#exhausted ||= error instanceof RateLimitWaitError;
    } else if (isForbidden(error)) outcomes.forbidden.add(id);
    else if (error instanceof ApiError && error.status === 404) {
      outcomes.answered += 1;
      outcomes.missing.add(id);
    } else if (error instanceof AnswerCapError) {
      outcomes.answered += 1;
      outcomes.rejects.set(id, withheld('customer', null, id, error.reason));
    } else if (error instanceof RetriesExhaustedError) outcomes.failed.set(id, error);
    else this.#failure ??= { error };
  }
}

const NO_TROUBLE: LookupTrouble = {
  forbiddenEverywhere: false,
  notLookedUp: null,
  failing: null,
  notFound: 0,
  refused: 0,
  invalid: 0,
};

/**
 * The customers `ids` names, from what the look-ups came to: those read tonight, then those not read whose
 * record an earlier night kept. Throws when not one look-up went through and some kept failing.
 */
export function assembleCustomers(
  ids: ReadonlySet<string>,
  outcomes: LookupOutcomes,
  previous: PreviousCustomers | null,
): LookedUpCustomers {
  const customers = new Map<string, Customer>();
  const unreadable = new Map<string, string>();
  if (outcomes.forbiddenEverywhere()) {
    for (const id of ids) unreadable.set(id, 'the token may not read customers (403)');
    const trouble = { ...NO_TROUBLE, forbiddenEverywhere: true };
    return { customers, fetchedAt: new Map(), rejects: [], normalised: [], unreadable, trouble };
  }
  const normalised: NormalisedField[] = [];
  for (const id of [...ids].sort()) {
    const found = outcomes.read.get(id);
    if (found) {
      customers.set(id, found.customer);
      normalised.push(...found.fields);
    } else if (outcomes.missing.has(id)) unreadable.set(id, 'not found (404): deleted in Qwoty?');
    else if (outcomes.forbidden.has(id)) unreadable.set(id, 'the token may not read this customer (403)');
    else if (outcomes.rejects.has(id)) unreadable.set(id, 'its record was set aside (see rejects.json)');
  }
  const failing = [...outcomes.failed].filter(([id]) => ids.has(id));
  // Not one look-up went through: the API does not serve customers tonight, which is no single customer's
  // trouble. Fail as before rather than publish every customer from an earlier night.
  const [firstFailure] = failing;
  if (firstFailure && outcomes.read.size === 0) throw firstFailure[1];
  const { fetchedAt } = outcomes;
  const keep = (stale: readonly string[]) => keepEarlier(stale, previous, customers, fetchedAt);
  const notLookedUp = [...outcomes.skipped].filter((id) => ids.has(id));
  const rejects = [...outcomes.rejects].filter(([id]) => ids.has(id)).map(([, reject]) => reject);
  const trouble: LookupTrouble = {
    forbiddenEverywhere: false,
    notLookedUp: notLookedUp.length > 0 ? keep(notLookedUp) : null,
    failing: firstFailure ? { ...keep(failing.map(([id]) => id)), reason: firstFailure[1].message } : null,
    notFound: [...outcomes.missing].filter((id) => ids.has(id)).length,
    refused: [...outcomes.forbidden].filter((id) => ids.has(id)).length,
    invalid: rejects.length,
  };
  return { customers, fetchedAt, rejects, normalised, unreadable, trouble };
}

/** Gives each of the `stale` customers its record from an earlier night, where there is one. */
function keepEarlier(
  stale: readonly string[],
  previous: PreviousCustomers | null,
  customers: Map<string, Customer>,
  fetchedAt: Map<string, string>,
): KeptFromEarlier {
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
  return { count: stale.length, kept, oldest };
}

/** The look-ups' trouble in words, one warning per kind, for the log and the snapshot. */
export function lookupWarnings(trouble: LookupTrouble): string[] {
  if (trouble.forbiddenEverywhere) {
    return ['The token may not read customers (403): contacts are grouped by customer ID instead of name.'];
  }
  const warnings: string[] = [];
  const { notLookedUp, failing } = trouble;
  if (notLookedUp) {
    warnings.push(
      `${notLookedUp.count} customer look-up(s) could not be made before this run's cut-off at the pace the API allows: ${describeKept(notLookedUp)}; they are looked up first on the next night.`,
    );
  }
  if (failing) {
    warnings.push(
      `${failing.count} customer look-up(s) kept failing (${failing.reason}): ${describeKept(failing)}.`,
    );
  }
  if (trouble.notFound > 0) {
    warnings.push(
      `${trouble.notFound} customer(s) referenced by contacts were not found (404); they are shown by ID.`,
    );
  }
  if (trouble.refused > 0) {
    warnings.push(
      `${trouble.refused} customer(s) could not be read (403, no permission on them); they are shown by ID.`,
    );
  }
  if (trouble.invalid > 0) {
    warnings.push(
      `${trouble.invalid} customer record(s) failed validation; they are shown by ID (see rejects.json).`,
    );
  }
  return warnings;
}

/** "12 keep the details read on an earlier night (the oldest on 2026-11-20), 3 are shown by ID". */
function describeKept({ count, kept, oldest }: KeptFromEarlier): string {
  const parts = [];
  if (kept > 0)
    parts.push(`${kept} keep the details read on an earlier night (the oldest on ${oldest?.slice(0, 10)})`);
  if (count - kept > 0) parts.push(`${count - kept} had never been read and are shown by ID`);
  return parts.join(', ');
}
