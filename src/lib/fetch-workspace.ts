/**
 * Pulls one workspace: `GET /contacts` and `GET /addresses` together, then `GET /customers/{id}` for each
 * distinct customer with bounded concurrency (the API has no customer list). Every record is parsed once
 * with its zod schema; an invalid one is set aside as a `Reject` with its position, id and reasons.
 */
import pLimit from 'p-limit';
import type { z } from 'zod';
import { ApiError } from './errors.ts';
import type { QwotyClient } from './qwoty-client.ts';
import {
  type Address,
  AddressSchema,
  type Contact,
  ContactSchema,
  type Customer,
  CustomerSchema,
  type Entity,
  type Reject,
} from './schema.ts';

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

  const addressesPromise = timed(
    'addresses',
    async () => {
      try {
        return parseList('address', await client.get('/addresses', query), AddressSchema);
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
  // Both requests run together; the addresses' failure must not go unhandled while contacts load.
  addressesPromise.catch(() => {});

  const contacts = await timed(
    'contacts',
    async () => parseList('contact', await client.get('/contacts', query), ContactSchema),
    (list) => list.valid.length,
  );
  const addresses = await addressesPromise;

  const customerIds = [...new Set(contacts.valid.map((contact) => contact.customer_id))].sort();
  const customers = await timed(
    'customers',
    () => fetchCustomers(client, customerIds, concurrency, onEvent, warn),
    (result) => result.customers.size,
  );

  return {
    contacts: contacts.valid,
    customers: customers.customers,
    addresses: addresses.valid,
    rejects: [...contacts.rejects, ...addresses.rejects, ...customers.rejects],
    contactRecords: contacts.total,
    warnings,
  };
}

async function fetchCustomers(
  client: QwotyClient,
  ids: readonly string[],
  concurrency: number,
  onEvent: (event: FetchEvent) => void,
  warn: (message: string) => void,
) {
  const customers = new Map<string, Customer>();
  const rejects: Reject[] = [];
  const missing: string[] = [];
  const limit = pLimit(concurrency);
  let forbidden: ApiError | undefined;
  let done = 0;

  await Promise.all(
    ids.map((id) =>
      limit(async () => {
        if (forbidden) return;
        try {
          const record = await client.get(`/customers/${encodeURIComponent(id)}`);
          const parsed = CustomerSchema.safeParse(record);
          if (parsed.success && parsed.data.id === id) customers.set(id, parsed.data);
          else if (parsed.success) rejects.push(toReject('customer', null, record, [`id: expected ${id}`]));
          else rejects.push(toReject('customer', null, record, formatIssues(parsed.error)));
        } catch (error) {
          if (isForbidden(error)) forbidden ??= error;
          else if (error instanceof ApiError && error.status === 404) missing.push(id);
          else throw error;
        }
        done += 1;
        onEvent({ type: 'customer', done, total: ids.length });
      }),
    ),
  );

  if (forbidden) {
    customers.clear();
    warn(
      `The token may not read customers (${forbidden.status}): contacts are grouped by customer ID instead of name.`,
    );
  }
  if (missing.length > 0) {
    warn(`${missing.length} customer(s) referenced by contacts were not found (404); they are shown by ID.`);
  }
  if (rejects.length > 0) {
    warn(`${rejects.length} customer record(s) failed validation; they are shown by ID (see rejects.json).`);
  }
  return { customers, rejects };
}

function parseList<S extends z.ZodType>(entity: Entity, data: unknown, schema: S) {
  if (!Array.isArray(data)) {
    throw new ApiError(`The API's ${entity} list is not an array`, {
      status: 200,
      method: 'GET',
      url: `/${entity}s`,
      retryable: false,
    });
  }
  const valid: z.output<S>[] = [];
  const rejects: Reject[] = [];
  data.forEach((record: unknown, index) => {
    const parsed = schema.safeParse(record);
    if (parsed.success) valid.push(parsed.data);
    else rejects.push(toReject(entity, index, record, formatIssues(parsed.error)));
  });
  return { valid, rejects, total: data.length };
}

function toReject(
  entity: Entity,
  index: number | null,
  record: unknown,
  issues: string[] | Reject['issues'],
): Reject {
  const id =
    record && typeof record === 'object' && 'id' in record && typeof record.id === 'string'
      ? record.id
      : null;
  return {
    entity,
    index,
    id,
    issues: issues.map((issue) => (typeof issue === 'string' ? splitIssue(issue) : issue)),
    record,
  };
}

function splitIssue(text: string) {
  const at = text.indexOf(': ');
  return { path: text.slice(0, at), message: text.slice(at + 2) };
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
