/**
 * What changed since the previous snapshot: contacts added, removed and changed (with the fields), customers
 * added and removed. The previous `contacts.json` is read line by line (it holds one record per line) into
 * one fingerprint per contact; only the changed and removed contacts' old records are read again, one at a
 * time, so a night comparing 100,000 contacts holds a few megabytes of the previous snapshot, not all of it,
 * even when every contact changed.
 */
import { hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type Snapshot,
  type SnapshotContact,
  SnapshotContactSchema,
  SnapshotSchema,
} from '../../shared/schema/published.ts';
import type { ChangedValue, ChangesReport, ContactRef } from '../../shared/schema/reports.ts';
import { eachSnapshotLine } from '../snapshot-lines.ts';

/** What names a removed contact: checked, the rest of its old record left unread. */
const RefFieldsSchema = SnapshotContactSchema.pick({
  id: true,
  first_name: true,
  last_name: true,
  email: true,
  customer_id: true,
  customer_name: true,
});

/** Fields whose change alone is not news: the API's bookkeeping, and what follows from another field. */
// `phone_parsed` is read from `phone`, whose own change is reported; it also appears on the first night after
// the field was added, and when QWOTY_DEFAULT_COUNTRY changes, with no change in Qwoty.
const IGNORED_FIELDS = new Set(['updated_at', 'customer_type', 'phone_parsed']);

export interface PreviousSnapshot {
  generatedAt: string;
  /** Each contact's fingerprint (`fingerprint` of its JSON text in `contacts.json`), by id. */
  contacts: Map<string, string>;
  customers: Map<string, string | null>;
  /** Reads again the JSON text of these contacts in the previous snapshot, handing each to `visit` in turn. */
  eachRecord(ids: ReadonlySet<string>, visit: (id: string, text: string) => void): Promise<void>;
}

/**
 * A contact's fingerprint: a SHA-1 of its JSON text, as `contacts.json` holds it. The one-shot `hash` makes no
 * Hash object: half the time of createHash() over the 200,000 texts of a night at 100,000 contacts.
 */
export function fingerprint(json: string): string {
  return hash('sha1', json, 'base64');
}

/** A previous snapshot held in memory (tests, fixtures), with what `readPreviousSnapshot` would read. */
export function previousFromSnapshot(snapshot: Snapshot): PreviousSnapshot {
  const texts = new Map(snapshot.contacts.map((contact) => [contact.id, JSON.stringify(contact)]));
  return {
    generatedAt: snapshot.generated_at,
    contacts: new Map([...texts].map(([id, text]) => [id, fingerprint(text)])),
    customers: new Map(snapshot.customers.map((customer) => [customer.id, customer.name])),
    eachRecord: async (ids, visit) => {
      for (const [id, text] of texts) if (ids.has(id)) visit(id, text);
    },
  };
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
export async function diffSnapshots(
  previous: PreviousSnapshot | null,
  next: Snapshot,
  /** Fingerprints of new contacts already taken (as `contacts.json` was written), by id. */
  known: ReadonlyMap<string, string> = new Map(),
): Promise<ChangesReport> {
  const added: ContactRef[] = [];
  const differing: SnapshotContact[] = [];
  let unchanged = 0;
  const seen = new Set<string>();

  for (const contact of next.contacts) {
    if (!previous) break;
    seen.add(contact.id);
    const before = previous.contacts.get(contact.id);
    if (before === undefined) added.push(refOf(contact));
    else if (before === (known.get(contact.id) ?? fingerprint(JSON.stringify(contact)))) unchanged += 1;
    else differing.push(contact);
  }
  const removedIds = new Set([...(previous?.contacts.keys() ?? [])].filter((id) => !seen.has(id)));
  // Each old record is compared as it is read, and dropped: not all held until the end.
  const differingById = new Map(differing.map((contact) => [contact.id, contact]));
  const fieldsById = new Map<string, ChangedValue[]>();
  const removedById = new Map<string, ContactRef>();
  await previous?.eachRecord(new Set([...differingById.keys(), ...removedIds]), (id, text) => {
    const contact = differingById.get(id);
    if (contact) fieldsById.set(id, changedValues(JSON.parse(text), contact));
    else removedById.set(id, refOf(RefFieldsSchema.parse(JSON.parse(text))));
  });

  const changed: ChangesReport['contacts']['changed'] = [];
  for (const contact of differing) {
    const values = fieldsById.get(contact.id) ?? changedValues({}, contact);
    if (values.length === 0) unchanged += 1;
    else changed.push({ ...refOf(contact), fields: values.map((value) => value.field), values });
  }
  const removed = [...removedIds].flatMap((id) => {
    const ref = removedById.get(id);
    return ref ? [ref] : [];
  });

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

/** The fields that differ, sorted, each with its old and new value as text (`valueText`). */
function changedValues(before: Record<string, unknown>, after: SnapshotContact): ChangedValue[] {
  const now: Record<string, unknown> = after;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return (
    [...keys]
      // A field we no longer publish (an earlier version kept what the API added by surprise) is not news.
      .filter((key) => key in SnapshotContactSchema.shape && !IGNORED_FIELDS.has(key))
      .filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(now[key] ?? null))
      .sort()
      .map((field) => ({ field, old: valueText(before[field]), new: valueText(now[field]) }))
  );
}

/** The longest a changed value is kept in the report: enough to recognise it, never a whole blob. */
export const CHANGED_VALUE_CHARS = 200;

/** A value as a person reads it (see `ChangedValueSchema`). */
export function valueText(value: unknown): string | null {
  let text: string;
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) {
    const summaries = value.every((item) => typeof item === 'object' && item !== null && 'summary' in item);
    text = summaries
      ? value.map((item) => String((item as { summary: unknown }).summary)).join(' | ')
      : value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ');
  } else text = JSON.stringify(value);
  if (text === '') return null;
  return text.length > CHANGED_VALUE_CHARS ? `${text.slice(0, CHANGED_VALUE_CHARS - 1)}…` : text;
}

/** The line-per-record layout the JSON exporter writes; undefined when the file has another layout. */
async function readByLine(file: string): Promise<PreviousSnapshot | undefined> {
  const contacts = new Map<string, string>();
  const customers = new Map<string, string | null>();
  const generatedAt = await scanLines(file, {
    contact: (id, text) => contacts.set(ownCopy(id), fingerprint(text)),
    customer: (text) => {
      const record = JSON.parse(text) as { id: string; name?: string | null };
      customers.set(record.id, record.name ?? null);
    },
  });
  if (generatedAt === undefined) return undefined;
  return {
    generatedAt,
    contacts,
    customers,
    eachRecord: async (ids, visit) => {
      if (ids.size === 0) return;
      // The id handed on is a copy too: the comparison keeps it (as a map key) for every changed contact.
      await scanLines(file, { contact: (id, text) => ids.has(id) && visit(ownCopy(id), text) });
    },
  };
}

/**
 * A copy of `text` that holds nothing else alive. A substring cut from a line (the id a regular expression
 * matched) is a slice of it in V8, so keeping it keeps the whole line: 60 to 120 MB of the previous
 * snapshot for 100,000 contacts.
 */
function ownCopy(text: string): string {
  return Buffer.from(text).toString();
}

/**
 * Reads `contacts.json` in the exporter's line layout (`eachSnapshotLine`), handing over each contact's id and
 * JSON text and each customer's JSON text; resolves with the snapshot's `generated_at`, or undefined when the
 * file has another layout.
 */
async function scanLines(
  file: string,
  on: { contact: (id: string, text: string) => unknown; customer?: (text: string) => unknown },
): Promise<string | undefined> {
  let generatedAt: string | undefined;
  const end = await eachSnapshotLine(file, {
    head: (text) => {
      generatedAt = (JSON.parse(text) as { generated_at?: string }).generated_at;
      return true;
    },
    customer: (text) => {
      on.customer?.(text);
      return true;
    },
    contact: (text) => {
      // The id is the first field the exporter writes: no need to parse the whole record for it.
      on.contact(/^\{"id":"([^"\\]+)"/.exec(text)?.[1] ?? (JSON.parse(text) as { id: string }).id, text);
      return true;
    },
  });
  return end === 'read' ? generatedAt : undefined;
}

async function readWhole(file: string): Promise<PreviousSnapshot> {
  return previousFromSnapshot(SnapshotSchema.parse(JSON.parse(await readFile(file, 'utf8'))));
}
