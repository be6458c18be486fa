/** A small, valid `Snapshot` built through the real assembly code, labelled so two of them differ. */
import type { FetchedWorkspace } from '../pipeline/fetch-workspace.ts';
import { buildSnapshot } from '../pipeline/snapshot.ts';
import { ContactSchema, CustomerSchema } from '../shared/schema/api.ts';
import type { Snapshot } from '../shared/schema/published.ts';

import { fixtureId } from './records.ts';

export function tinySnapshot(label: string, contacts = 3): Snapshot {
  const workspace: FetchedWorkspace = {
    contacts: Array.from({ length: contacts }, (_, n) =>
      ContactSchema.parse({
        id: fixtureId(100 + n),
        customer_id: fixtureId(1 + (n % 2)),
        first_name: `${label} ${n}`,
        last_name: 'Tester',
        email: `${label}.${n}@example.test`,
      }),
    ),
    customers: new Map([
      [
        fixtureId(1),
        CustomerSchema.parse({ id: fixtureId(1), name: `${label} Customer One`, type: 'company' }),
      ],
      [
        fixtureId(2),
        CustomerSchema.parse({ id: fixtureId(2), name: `${label} Customer Two`, type: 'individual' }),
      ],
    ]),
    addresses: [],
    rejects: [],
    contactRecords: contacts,
    normalised: [],
    unreadableCustomers: new Map(),
    lists: {},
    warnings: [],
  };
  return buildSnapshot({
    workspace,
    source: { host: 'qwoty.test', customer_id: null, demo: true },
    generatedAt: new Date('2026-11-30T02:00:00Z'),
  });
}
