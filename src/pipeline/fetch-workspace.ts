/**
 * Pulls one workspace: `GET /contacts` and `GET /addresses` together, then `GET /customers/{id}` for each
 * distinct customer with bounded concurrency (the API has no customer list). Every record is parsed once
 * with its zod schema; an invalid one is set aside as a `Reject` with its position, id and reasons.
 */
import pLimit from 'p-limit';
import type { z } from 'zod';
import { ApiError } from '../shared/errors.ts';
import {
  type Address,
  AddressSchema,
  type Contact,
  ContactSchema,
  type Customer,
  CustomerSchema,
  type Entity,
  type Reject,
} from '../shared/schema.ts';
import type { QwotyClient } from './qwoty-client.ts';

export interface FetchWorkspaceOptions {
  client: QwotyClient;
  /** Only this customer's contacts and addresses. */
  customerId?: string | null;
  /** Parallel customer look-ups. Default 8. */
  concurrency?: number;
  /** Told when each phase starts and ends, and after each customer look-up. */
  onEvent?: (event: FetchEvent) => void;
}

export type FetchEvent =
  | { type: 'phase-start'; phase: Phase }
  | { type: 'phase-end'; phase: Phase; count: number; ms: number }
  | { type: 'customer'; done: number; total: number }
  | { type: 'warning'; message: string };

export type Phase = 'contacts' | 'addresses' | 'customers';

export interface FetchedWorkspace {
  contacts: Contact[];
  /** Every customer that could be read, by id. */
  customers: Map<string, Customer>;
  addresses: Address[];
  rejects: Reject[];
  /** How many contact records the API sent, valid or not: the base of the invalid share. */
  contactRecords: number;
  /** Degradations to show the user and record in the snapshot. */
  warnings: string[];
}

export async function fetchWorkspace(options: FetchWorkspaceOptions): Promise<FetchedWorkspace> {
  const { client, customerId = null, concurrency = 8, onEvent = () => {} } = options;
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

  const customers = createCustomerLookups(client, concurrency, onEvent);
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
        return await fetchList(client, 'address', '/addresses', query, AddressSchema);
      } catch (error) {
        if (isForbidden(error)) {
          warn(
            `The token may not read addresses (${error.status}): contacts are published without addresses.`,
          );
          return { valid: [], rejects: [], total: 0 };
        }
        throw error;
      }
    },
    (list) => list.valid.length,
  );
  // Both lists load together; the addresses' failure must not go unhandled while contacts load.
  addressesPromise.catch(() => {});

  // Each customer is looked up as soon as its first contact arrives, while the contacts still stream in.
  const contacts = await timed(
    'contacts',
    () =>
      fetchList(client, 'contact', '/contacts', query, ContactSchema, (contact) => {
        // 100,000 copies of a few thousand ids would cost megabytes: keep one string per distinct id.
        contact.customer_id = intern(contact.customer_id);
        contact.workspace_id = contact.workspace_id === null ? null : intern(contact.workspace_id);
        customers.want(contact.customer_id);
      }),
    (list) => list.valid.length,
  );
  const addresses = await addressesPromise;

  const customerIds = new Set(contacts.valid.map((contact) => contact.customer_id));
  const lookedUp = await timed(
    'customers',
    () => customers.settle(customerIds, warn),
    (result) => result.customers.size,
  );

  return {
    contacts: contacts.valid,
    customers: lookedUp.customers,
    addresses: addresses.valid,
    rejects: [...contacts.rejects, ...addresses.rejects, ...lookedUp.rejects],
    contactRecords: contacts.total,
    warnings,
  };
}

/** Streams a list endpoint, validating each record as it arrives; a retried request starts the list over. */
async function fetchList<S extends z.ZodType>(
  client: QwotyClient,
  entity: Entity,
  path: string,
  query: Record<string, string | undefined>,
  schema: S,
  onValid: (record: z.output<S>) => void = () => {},
) {
  let valid: z.output<S>[] = [];
  let rejects: Reject[] = [];
  const total = await client.getList(path, query, {
    onAttempt: () => {
      valid = [];
      rejects = [];
    },
    onItem: (record, index) => {
      const parsed = schema.safeParse(record);
      if (parsed.success) {
        valid.push(parsed.data);
        onValid(parsed.data);
      } else rejects.push(toReject(entity, index, record, formatIssues(parsed.error)));
    },
  });
  return { valid, rejects, total };
}

/**
 * Customer look-ups with bounded concurrency, started by `want` as ids appear and finished by `settle`,
 * which keeps only the customers the final contact list references. A 403 stops further look-ups.
 */
function createCustomerLookups(
  client: QwotyClient,
  concurrency: number,
  onEvent: (event: FetchEvent) => void,
) {
  const limit = pLimit(concurrency);
  const results = new Map<string, Customer>();
  const rejects = new Map<string, Reject>();
  const missing = new Set<string>();
  const pending = new Map<string, Promise<void>>();
  let forbidden: ApiError | undefined;
  let failure: { error: unknown } | undefined;
  let done = 0;

  const lookUp = async (id: string) => {
    if (forbidden || failure) return;
    try {
      const record = await client.get(`/customers/${encodeURIComponent(id)}`);
      const parsed = CustomerSchema.safeParse(record);
      if (parsed.success && parsed.data.id === id) results.set(id, parsed.data);
      else if (parsed.success) {
        rejects.set(id, toReject('customer', null, record, [{ path: 'id', message: `expected ${id}` }]));
      } else rejects.set(id, toReject('customer', null, record, formatIssues(parsed.error)));
    } catch (error) {
      if (isForbidden(error)) forbidden ??= error;
      else if (error instanceof ApiError && error.status === 404) missing.add(id);
      else failure ??= { error };
    }
    done += 1;
    onEvent({ type: 'customer', done, total: pending.size });
  };

  const want = (id: string) => {
    if (!pending.has(id))
      pending.set(
        id,
        limit(() => lookUp(id)),
      );
  };

  const settle = async (ids: ReadonlySet<string>, warn: (message: string) => void) => {
    for (const id of [...ids].sort()) want(id);
    await Promise.all(pending.values());
    if (failure) throw failure.error;
    const customers = new Map<string, Customer>();
    if (forbidden) {
      warn(
        `The token may not read customers (${forbidden.status}): contacts are grouped by customer ID instead of name.`,
      );
      return { customers, rejects: [] };
    }
    for (const id of ids) {
      const customer = results.get(id);
      if (customer) customers.set(id, customer);
    }
    const kept = [...rejects].filter(([id]) => ids.has(id)).map(([, reject]) => reject);
    const notFound = [...missing].filter((id) => ids.has(id)).length;
    if (notFound > 0)
      warn(`${notFound} customer(s) referenced by contacts were not found (404); they are shown by ID.`);
    if (kept.length > 0) {
      warn(`${kept.length} customer record(s) failed validation; they are shown by ID (see rejects.json).`);
    }
    return { customers, rejects: kept };
  };

  return { want, settle };
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

function formatIssues(error: z.ZodError): Reject['issues'] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(record)',
    message: issue.message,
  }));
}

/** 403 means this token lacks that permission: degrade. 401 (a bad token) stays fatal. */
function isForbidden(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 403;
}
