/**
 * `npm run demo -- --next-night`: the night after a demo is the same workspace with a handful of contacts
 * changed, added and removed, and the change report the real pipeline makes of it says so.
 */
import { describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { nextNight, nightSize } from '../src/fake-api/next-night.ts';
import type { FetchedWorkspace } from '../src/pipeline/fetch-workspace.ts';
import { normaliseAddress, normaliseContact, normaliseCustomer } from '../src/pipeline/normalise.ts';
import { diffSnapshots, previousFromSnapshot } from '../src/pipeline/reports/changes.ts';
import { buildSnapshot } from '../src/pipeline/snapshot.ts';

const NOW = new Date('2026-12-08T02:00:00Z');

/** The generated records as the pipeline publishes them (the valid ones), to compare two nights with. */
function snapshotOf(
  workspace: { contacts: readonly unknown[]; customers: readonly unknown[]; addresses: readonly unknown[] },
  at: Date,
) {
  const ok = <T>(results: ({ ok: true; record: T } | { ok: false })[]) =>
    results.flatMap((result) => (result.ok ? [result.record] : []));
  const fetched: FetchedWorkspace = {
    contacts: ok(workspace.contacts.map(normaliseContact)),
    customers: new Map(
      ok(workspace.customers.map(normaliseCustomer)).map((customer) => [customer.id, customer]),
    ),
    addresses: ok(workspace.addresses.map(normaliseAddress)),
    rejects: [],
    contactRecords: workspace.contacts.length,
    normalised: [],
    unreadableCustomers: new Map(),
    lists: {},
    warnings: [],
  };
  return buildSnapshot({
    workspace: fetched,
    source: { host: '127.0.0.1', customer_id: null, demo: true },
    generatedAt: at,
  });
}

describe('nextNight', () => {
  test('changes, adds and removes a handful of contacts of the same workspace, and the change report says so', async () => {
    const workspace = generateWorkspace({ contacts: 2_000, seed: 7 });
    const size = nightSize(2_000);
    expect(size).toEqual({ changed: 10, added: 4, removed: 2 });
    const before = snapshotOf(workspace, new Date('2026-12-07T02:00:00Z'));
    const after = snapshotOf(
      { ...workspace, contacts: nextNight(workspace.contacts, { seed: 7, now: NOW }) },
      NOW,
    );
    const report = await diffSnapshots(previousFromSnapshot(before), after);
    expect(report.totals).toMatchObject({ changed: size.changed, added: size.added, removed: size.removed });
    expect(report.totals.unchanged).toBe(before.contacts.length - size.changed - size.removed);
    for (const change of report.contacts.changed) {
      expect(change.fields).toHaveLength(1);
      expect(['email', 'phone', 'role']).toContain(change.fields[0]);
    }
  });

  test('leaves the records it was given as they were', () => {
    const workspace = generateWorkspace({ contacts: 300, seed: 3 });
    const copy = structuredClone(workspace.contacts);
    nextNight(workspace.contacts, { seed: 3, now: NOW });
    expect(workspace.contacts).toEqual(copy);
  });
});
