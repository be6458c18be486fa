/**
 * What changed since the previous snapshot: contacts added, removed and changed (with the fields), customers
 * added and removed. The previous `contacts.json` is read line by line (it holds one record per line) and
 * kept as one string per contact, so comparing 100,000 contacts never holds two parsed snapshots at once.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  type ChangesReport,
  type ContactRef,
  type Snapshot,
  type SnapshotContact,
  SnapshotContactSchema,
  SnapshotSchema,
} from '../schema.ts';

/** Fields whose change alone is not news: the API's bookkeeping, and what follows from another field. */
const IGNORED_FIELDS = new Set(['updated_at', 'customer_type']);

export interface PreviousSnapshot {
  generatedAt: string;
  /** Each contact's JSON text, by id, exactly as `contacts.json` holds it. */
  contacts: Map<string, string>;
  customers: Map<string, string | null>;
}

/** Reads what the comparison needs from a published `contacts.json`; null when there is none. */
export async function readPreviousSnapshot(file: string): Promise<PreviousSnapshot | null> {
  try {
    return (await readByLine(file)) ?? readWhole(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Compares `next` with the previous snapshot. On a first run (`previous` null) there is nothing to compare
 * with: the totals count everything as added and the lists stay empty rather than list the whole workspace.
 */
export function diffSnapshots(previous: PreviousSnapshot | null, next: Snapshot): ChangesReport {
  const added: ContactRef[] = [];
  const changed: (ContactRef & { fields: string[] })[] = [];
  let unchanged = 0;
  const seen = new Set<string>();

  for (const contact of next.contacts) {
    if (!previous) break;
    seen.add(contact.id);
    const before = previous.contacts.get(contact.id);
    if (before === undefined) {
      added.push(refOf(contact));
      continue;
    }
    const fields = before === JSON.stringify(contact) ? [] : changedFields(JSON.parse(before), contact);
    if (fields.length === 0) unchanged += 1;
    else changed.push({ ...refOf(contact), fields });
  }

  const removed: ContactRef[] = [];
  for (const [id, text] of previous?.contacts ?? []) {
    if (!seen.has(id)) removed.push(refOf(SnapshotContactSchema.parse(JSON.parse(text))));
  }

  const nextCustomers = new Map(next.customers.map((customer) => [customer.id, customer.name]));
  const customersAdded = [...nextCustomers]
    .filter(([id]) => previous && !previous.customers.has(id))
    .map(([id, name]) => ({ id, name }));
  const customersRemoved = [...(previous?.customers ?? [])]
    .filter(([id]) => !nextCustomers.has(id))
    .map(([id, name]) => ({ id, name }));

  return {
    schema_version: 1,
    generated_at: next.generated_at,
    previous_generated_at: previous?.generatedAt ?? null,
    totals: {
      added: previous ? added.length : next.contacts.length,
      removed: removed.length,
      changed: changed.length,
      unchanged,
      customers_added: previous ? customersAdded.length : next.customers.length,
      customers_removed: customersRemoved.length,
    },
    contacts: { added, removed, changed },
    customers: { added: customersAdded, removed: customersRemoved },
  };
}

/** How the reports name a contact: "First Last", else the email, else the id. */
export function refOf(
  contact: Pick<
    SnapshotContact,
    'id' | 'first_name' | 'last_name' | 'email' | 'customer_id' | 'customer_name'
  >,
): ContactRef {
  const name = [contact.first_name, contact.last_name].filter((part) => part?.trim()).join(' ');
  return {
    id: contact.id,
    name: name || contact.email || contact.id,
    customer_id: contact.customer_id,
    customer_name: contact.customer_name,
  };
}

function changedFields(before: Record<string, unknown>, after: SnapshotContact): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((key) => !IGNORED_FIELDS.has(key))
    .filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null))
    .sort();
}

/** The line-per-record layout the JSON exporter writes; undefined when the file has another layout. */
async function readByLine(file: string): Promise<PreviousSnapshot | undefined> {
  const contacts = new Map<string, string>();
  const customers = new Map<string, string | null>();
  let generatedAt: string | undefined;
  let section: 'head' | 'customers' | 'contacts' | 'other' = 'head';
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (section === 'head') {
      if (!line.startsWith('{"schema_version":1,') || !line.endsWith(',')) return undefined;
      generatedAt = (JSON.parse(`${line.slice(0, -1)}}`) as { generated_at?: string }).generated_at;
      section = 'other';
    } else if (line === '"customers":[') section = 'customers';
    else if (line === '"contacts":[') section = 'contacts';
    else if (line.startsWith('{') && section !== 'other') {
      const text = line.endsWith(',') ? line.slice(0, -1) : line;
      const record = JSON.parse(text) as { id: string; name?: string | null };
      if (section === 'contacts') contacts.set(record.id, text);
      else customers.set(record.id, record.name ?? null);
    } else if (line.startsWith(']')) section = 'other';
  }
  return generatedAt ? { generatedAt, contacts, customers } : undefined;
}

async function readWhole(file: string): Promise<PreviousSnapshot> {
  const parsed = SnapshotSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  return {
    generatedAt: parsed.generated_at,
    contacts: new Map(parsed.contacts.map((contact) => [contact.id, JSON.stringify(contact)])),
    customers: new Map(parsed.customers.map((customer) => [customer.id, customer.name])),
  };
}
