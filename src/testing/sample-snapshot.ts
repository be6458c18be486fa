/**
 * The exporters' snapshots, presets over the generator and its hostile cases (`src/fake-api/hostile.ts`),
 * assembled by the pipeline's own `buildSnapshot` (see `generated-snapshot.ts`). `sampleSnapshot()` is small and
 * hostile: the contract's values (`SPREADSHEET_CASES`) in every text column, and a customer that cannot be read.
 * `syntheticSnapshot(n)` is large and plain, for scale checks. All are dated 2024-05-01T02:00:00Z.
 */
import { type GenerateWorkspaceOptions, generateWorkspace } from '../fake-api/generate.ts';
import { SPREADSHEET_CASES, UNDOCUMENTED_CONTACT_FIELDS } from '../fake-api/hostile.ts';
import { lookupWarnings } from '../pipeline/customer-lookups.ts';
import type { Snapshot, SnapshotCustomer } from '../shared/schema/published.ts';
import { snapshotOfWorkspace } from './generated-snapshot.ts';

const TAKEN_AT = '2024-05-01T02:00:00.000Z';

function exportersSnapshot(options: GenerateWorkspaceOptions, warnings: string[] = []): Snapshot {
  return snapshotOfWorkspace(generateWorkspace(options), {
    source: { host: 'qwoty.app', customer_id: null, demo: false },
    generatedAt: TAKEN_AT,
    warnings,
  });
}

/**
 * The small hostile snapshot; a new object on every call. Its contact with formulas in both names also holds
 * `UNDOCUMENTED_CONTACT_FIELDS`, as a snapshot written by a later version may: tables must leave them out.
 */
export function sampleSnapshot(): Snapshot {
  const unreadable = SPREADSHEET_CASES.filter((item) => item.unreadable).length;
  const snapshot = exportersSnapshot(
    { contacts: 0, cases: SPREADSHEET_CASES },
    lookupWarnings({
      forbiddenEverywhere: false,
      notLookedUp: null,
      failing: null,
      notFound: 0,
      refused: unreadable,
      invalid: 0,
    }),
  );
  const formulas = snapshot.contacts.find((contact) => contact.first_name === '=1+1');
  if (formulas) Object.assign(formulas, UNDOCUMENTED_CONTACT_FIELDS);
  return snapshot;
}

/** The sample's customer whose own fields are formulas (the second of `SPREADSHEET_CASES`). */
export function formulaCustomer(snapshot: Snapshot): SnapshotCustomer {
  const name = SPREADSHEET_CASES[1]?.customer.name;
  const customer = snapshot.customers.find((item) => item.name === name);
  if (!customer) throw new Error(`The snapshot has no customer named ${name}`);
  return customer;
}

/** A snapshot with no customers and no contacts. */
export function emptySnapshot(): Snapshot {
  return exportersSnapshot({ contacts: 0 });
}

/** `contactCount` plain contacts (see the generator's `plain`) in runs of 20 per customer. */
export function syntheticSnapshot(contactCount: number): Snapshot {
  return exportersSnapshot({ contacts: contactCount, contactsPerCustomer: 20, grouped: true, plain: true });
}
