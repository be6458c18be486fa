/**
 * The one way fixtures make a `Snapshot`: a workspace of the generator (`src/fake-api/generate.ts`), read as a
 * night reads it (each record through the pipeline's `normalise`) and assembled by the pipeline's own
 * `buildSnapshot`. The site fixture, the exporters' sample and the tiny snapshot are presets over it.
 */
import type { Workspace } from '../fake-api/generate.ts';
import type { FetchedWorkspace } from '../pipeline/fetch-workspace.ts';
import { normaliseAddress, normaliseContact, normaliseCustomer } from '../pipeline/normalise.ts';
import { buildSnapshot } from '../pipeline/snapshot.ts';
import type { Address, Contact, Customer, Reject } from '../shared/schema/api.ts';
import type { Snapshot, SnapshotSource } from '../shared/schema/published.ts';

export interface GeneratedSnapshotOptions {
  source: SnapshotSource;
  /** When the snapshot was taken (ISO 8601). */
  generatedAt: string;
  /** When the readable customer at `position` was read; when the snapshot was taken, by default. */
  readAt?: (position: number) => string;
  /** The records the night set aside; none by default. */
  rejects?: Reject[];
  /** The night's warnings; none by default. */
  warnings?: string[];
  /** Called on each contact as read, in the workspace's order, before the snapshot is assembled. */
  editContact?: (contact: Contact, position: number) => void;
}

/**
 * The snapshot a night publishes of `generated`: its unreadable customers refused (403), published by id.
 * Throws when a record would be set aside: fixtures use no option that breaks one.
 */
export function snapshotOfWorkspace(generated: Workspace, options: GeneratedSnapshotOptions): Snapshot {
  const unreadable = new Set(generated.unreadableCustomers);
  const contacts = generated.contacts.map((raw) => readRecord(normaliseContact(raw)));
  for (const [position, contact] of contacts.entries()) options.editContact?.(contact, position);
  const workspace: FetchedWorkspace = {
    contacts,
    customers: new Map(),
    ...(options.readAt ? { fetchedAt: new Map() } : {}),
    addresses: generated.addresses.map((raw) => readRecord(normaliseAddress(raw))),
    rejects: options.rejects ?? [],
    contactRecords: contacts.length,
    normalised: [],
    unreadableCustomers: new Map(),
    lists: {},
    warnings: options.warnings ?? [],
  };
  generated.customers.forEach((raw, position) => {
    const customer: Customer = readRecord(normaliseCustomer(raw));
    if (unreadable.has(position)) {
      workspace.unreadableCustomers.set(customer.id, 'the token may not read this customer (403)');
      return;
    }
    workspace.customers.set(customer.id, customer);
    workspace.fetchedAt?.set(customer.id, options.readAt?.(position) ?? options.generatedAt);
  });
  return buildSnapshot({ workspace, source: options.source, generatedAt: new Date(options.generatedAt) });
}

/** The record a night keeps; the fixtures' options break none, so a record set aside is a fixture bug. */
function readRecord<T extends Contact | Customer | Address>(
  result: { ok: true; record: T } | { ok: false; issues: unknown },
): T {
  if (!result.ok)
    throw new Error(`The fixture made a record a night sets aside: ${JSON.stringify(result.issues)}`);
  return result.record;
}
