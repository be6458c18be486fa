/**
 * A small snapshot of plain data, labelled so that two of them differ: a preset over the generator's `plain`
 * workspace (`src/fake-api/generate.ts`), assembled by the pipeline's own `buildSnapshot`. Its contacts are
 * named `<label> <n>` Tester, with the email `<label>.<n>@example.test`, in two customers named after the label;
 * the same `contacts` give the same ids whatever the label.
 */
import { generateWorkspace } from '../fake-api/generate.ts';
import type { Snapshot } from '../shared/schema/published.ts';
import { snapshotOfWorkspace } from './generated-snapshot.ts';

export function tinySnapshot(label: string, contacts = 3): Snapshot {
  const generated = generateWorkspace({
    contacts,
    contactsPerCustomer: Math.max(1, Math.ceil(contacts / 2)),
    grouped: true,
    plain: true,
    customerNames: [`${label} Customer One`, `${label} Customer Two`],
  });
  return snapshotOfWorkspace(generated, {
    source: { host: 'qwoty.test', customer_id: null, demo: true },
    generatedAt: '2026-11-30T02:00:00.000Z',
    editContact: (contact, n) => {
      Object.assign(contact, {
        first_name: `${label} ${n}`,
        last_name: 'Tester',
        email: `${label}.${n}@example.test`,
      });
    },
  });
}
