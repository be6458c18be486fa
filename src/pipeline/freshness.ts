/**
 * A quota costs freshness, never the night. Each published customer carries `fetched_at`, when its record was
 * last read from the API. On a later night the look-ups go in order of need (customers never read first, then
 * those read longest ago); when the rest cannot be read before the run's cut-off at the pace the API allows,
 * the look-ups stop and those customers keep their record from the previous snapshot, with its older
 * `fetched_at`. This module holds those rules; `fetch-workspace.ts` applies them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import type { Customer } from '../shared/schema/api.ts';
import { type Snapshot, type SnapshotCustomer, SnapshotCustomerSchema } from '../shared/schema/published.ts';
import type { FreshnessSchema } from '../shared/schema/reports.ts';

/** A customer of the previous snapshot, as far as a later night can reuse it. */
export interface PreviousCustomer {
  customer: SnapshotCustomer;
  /** When its record was read from the API; null when it never was (it was published without a name). */
  fetchedAt: string | null;
}

export type PreviousCustomers = ReadonlyMap<string, PreviousCustomer>;

/**
 * The customers of a published `contacts.json`, read up to its contacts (the exporter writes the customers
 * first, one per line); null when there is no such file. A snapshot from before `fetched_at` existed counts its
 * named customers as read when it was taken.
 */
export async function readPreviousCustomers(file: string): Promise<PreviousCustomers | null> {
  const customers = new Map<string, PreviousCustomer>();
  let generatedAt: string | null = null;
  let inCustomers = false;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  try {
    for await (const line of lines) {
      if (generatedAt === null) {
        if (!line.startsWith('{"schema_version":1,') || !line.endsWith(',')) return null;
        generatedAt = (JSON.parse(`${line.slice(0, -1)}}`) as { generated_at?: string }).generated_at ?? null;
      } else if (line === '"customers":[') inCustomers = true;
      else if (!inCustomers || line.startsWith(']') || line === '"contacts":[') break;
      else if (line.startsWith('{')) {
        const parsed = SnapshotCustomerSchema.safeParse(
          JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line),
        );
        if (!parsed.success) continue;
        const customer = parsed.data;
        const fetchedAt =
          customer.fetched_at === undefined
            ? customer.name === null
              ? null
              : generatedAt
            : customer.fetched_at;
        customers.set(customer.id, { customer, fetchedAt });
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  } finally {
    lines.close();
  }
  return customers;
}

/** Look-ups with a greater priority go first: never read, then read longest ago. */
export function lookupPriority(previous: PreviousCustomer | undefined): number {
  const time = previous?.fetchedAt ? Date.parse(previous.fetchedAt) : Number.NaN;
  return Number.isNaN(time) ? 1 : -time;
}

/** Whether a customer was never read from the API (it goes first, even before the contact list ends). */
export function neverRead(previous: PreviousCustomer | undefined): boolean {
  return lookupPriority(previous) > 0;
}

/** A customer record rebuilt from the previous snapshot, for a customer not read tonight. */
export function reusedCustomer({ customer }: PreviousCustomer): Customer | null {
  if (customer.name === null) return null;
  return {
    id: customer.id,
    workspace_id: customer.workspace_id ?? null,
    name: customer.name,
    type: customer.type,
    segment_id: customer.segment_id,
    logo: customer.logo ?? null,
    tax_ids: customer.tax_ids,
    id_crm: customer.id_crm,
    id_erp: customer.id_erp,
    id_accounting: customer.id_accounting,
    contact_ids: customer.contact_ids ?? [],
    address_ids: customer.address_ids ?? [],
    created_at: customer.created_at ?? null,
    updated_at: customer.updated_at ?? null,
    custom_properties: customer.custom_properties ?? null,
  };
}

/**
 * When look-ups stop, so that the run can still publish before its deadline: a tenth of the deadline is kept
 * for publishing, at least 5 s (100,000 contacts publish in well under that on 2 cores) and at most 5 minutes,
 * and never more than half of it.
 */
export function lookupCutoff(startedAt: number, deadlineMs: number): number {
  const margin = Math.min(deadlineMs / 2, Math.min(5 * 60_000, Math.max(5_000, deadlineMs / 10)));
  return startedAt + deadlineMs - margin;
}

export type Freshness = z.output<typeof FreshnessSchema>;

/**
 * How fresh a snapshot's customers are: how many were read on the night it was taken, how many kept the
 * record of an earlier night (and the oldest of those), how many have no name at all.
 */
export function assessFreshness(snapshot: Snapshot): Freshness {
  const taken = Date.parse(snapshot.generated_at);
  let refreshed = 0;
  let reused = 0;
  let unnamed = 0;
  let oldest: SnapshotCustomer | null = null;
  for (const customer of snapshot.customers) {
    if (customer.name === null) unnamed += 1;
    if (!customer.fetched_at) continue;
    if (Date.parse(customer.fetched_at) >= taken) {
      refreshed += 1;
      continue;
    }
    reused += 1;
    if (!oldest?.fetched_at || customer.fetched_at < oldest.fetched_at) oldest = customer;
  }
  return {
    refreshed,
    reused,
    unnamed,
    oldest:
      oldest?.fetched_at == null ? null : { id: oldest.id, name: oldest.name, fetched_at: oldest.fetched_at },
  };
}

/** Whether a customer's record was read before the snapshot was taken: kept from an earlier night. */
export function readBefore(customer: Pick<SnapshotCustomer, 'fetched_at'>, generatedAt: string): boolean {
  return Boolean(customer.fetched_at) && Date.parse(customer.fetched_at ?? '') < Date.parse(generatedAt);
}
