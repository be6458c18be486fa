import { readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import type { QwotyServer, QwotyServerOptions } from '../src/fake-api/server.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { diffSnapshots, previousFromSnapshot } from '../src/pipeline/reports/changes.ts';
import { HISTORY_FILE } from '../src/pipeline/reports/files.ts';
import {
  carryHistory,
  HISTORY_CUSTOMER_LIMIT,
  HISTORY_NIGHTS,
  readLiveHistory,
  summariseNight,
} from '../src/pipeline/reports/history.ts';
import { ExitCode, SnapshotIoError } from '../src/shared/errors.ts';
import { ChangesHistorySchema, type ChangesNight } from '../src/shared/schema/reports.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';
import { makePreviousSnapshot, makeSnapshot, writePublishedSnapshot } from '../src/testing/site-fixture.ts';

const TOKEN = 'qwt_prod_history_token_value_7';
const api = useEmbeddedApi(TOKEN, 'history');

async function fetchFrom(options: QwotyServerOptions) {
  const server = await api.serve(options);
  return fetchFromServer(server);
}

function fetchFromServer(server: QwotyServer) {
  return api.fetch(server, { QWOTY_RETRIES: '0' });
}

const historyText = () => readFile(path.join(api.dir(), HISTORY_FILE), 'utf8');
const history = async () => ChangesHistorySchema.parse(JSON.parse(await historyText()));

function night(day: number): ChangesNight {
  const at = (d: number) => new Date(Date.UTC(2026, 0, d, 3)).toISOString();
  return {
    generated_at: at(day),
    previous_generated_at: at(day - 1),
    totals: { added: day, removed: 0, changed: 0, unchanged: 0, customers_added: 0, customers_removed: 0 },
    customers: [],
    customers_changed: 0,
    customers_added: [],
    customers_removed: [],
  };
}

describe('summariseNight', () => {
  test('keeps the totals and names each customer concerned with its counts, and no contact', async () => {
    const snapshot = makeSnapshot({ contacts: 40 });
    const changes = await diffSnapshots(
      previousFromSnapshot(makePreviousSnapshot(snapshot, { removed: 3 })),
      snapshot,
    );
    const summary = summariseNight(changes);
    expect(summary.totals).toEqual(changes.totals);
    const counted = summary.customers.reduce((sum, c) => sum + c.added + c.removed + c.changed, 0);
    expect(counted).toBe(changes.totals.added + changes.totals.removed + changes.totals.changed);
    expect(summary.customers_changed).toBe(summary.customers.length);
    expect(summary.customers_added.map((customer) => customer.id)).toEqual(
      changes.customers.added.map((customer) => customer.id),
    );
    const text = JSON.stringify(summary);
    for (const ref of [...changes.contacts.added, ...changes.contacts.removed, ...changes.contacts.changed]) {
      expect(text).not.toContain(ref.id);
      expect(text).not.toContain(JSON.stringify(ref.name).slice(1, -1));
    }
  });

  test('names at most the limit of customers, most changes first, and counts them all', async () => {
    const snapshot = makeSnapshot({ contacts: (HISTORY_CUSTOMER_LIMIT + 20) * 2, perCustomer: 2 });
    const before = structuredClone(snapshot);
    before.contacts.forEach((contact, index) => {
      contact.email = `before-${index}@example.com`;
    });
    // The last 20 customers also lost a contact since: three changes each against two, so they come first.
    const busiest = snapshot.customers.slice(-20);
    for (const customer of busiest) {
      const [model] = before.contacts.filter((contact) => contact.customer_id === customer.id);
      if (model) before.contacts.push({ ...model, id: `${model.id.slice(0, -4)}ffff` });
    }
    const summary = summariseNight(await diffSnapshots(previousFromSnapshot(before), snapshot));
    expect(summary.customers).toHaveLength(HISTORY_CUSTOMER_LIMIT);
    expect(summary.customers_changed).toBe(HISTORY_CUSTOMER_LIMIT + 20);
    expect(
      summary.customers
        .slice(0, 20)
        .map((customer) => customer.id)
        .sort(),
    ).toEqual(busiest.map((customer) => customer.id).sort());
    expect(summary.customers[0]).toMatchObject({ changed: 2, removed: 1, added: 0 });
  });
});

describe('carryHistory', () => {
  test(`puts the new night first and keeps ${HISTORY_NIGHTS} nights at most`, () => {
    let carried = carryHistory(null, night(1));
    for (let day = 2; day <= HISTORY_NIGHTS + 5; day++) carried = carryHistory(carried, night(day));
    expect(carried.nights).toHaveLength(HISTORY_NIGHTS);
    expect(carried.nights[0]?.generated_at).toBe(night(HISTORY_NIGHTS + 5).generated_at);
    expect(carried.nights.at(-1)?.generated_at).toBe(night(6).generated_at);
  });

  test('drops a night the new one replaces or precedes, so a night is never listed twice', () => {
    const carried = carryHistory(carryHistory(null, night(5)), night(5));
    expect(carried.nights).toHaveLength(1);
    expect(carryHistory(carryHistory(null, night(6)), night(5)).nights).toHaveLength(1);
  });
});

describe('readLiveHistory', () => {
  test('starts from the live change report when the snapshot was published before the history existed', async () => {
    const snapshot = makeSnapshot({ contacts: 20 });
    const folder = await writePublishedSnapshot(api.dir(), snapshot, {
      previous: makePreviousSnapshot(snapshot),
    });
    const live = await readLiveHistory(folder, ['changes.json']);
    expect(live.history?.nights.map((kept) => kept.previous_generated_at)).toEqual([
      '2026-01-14T03:00:00.000Z',
    ]);
    expect(await readLiveHistory(folder, [])).toEqual({ history: null });
  });

  test('stops with a sentence saying what to do when the listed history is damaged', async () => {
    await writeFile(path.join(api.dir(), HISTORY_FILE), '{"schema_version":1,"nights":[{"generated_at":1}]}');
    const error = await readLiveHistory(api.dir(), [HISTORY_FILE]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect((error as SnapshotIoError).exitCode).toBe(ExitCode.io);
    expect((error as Error).message).toMatch(
      /change history .*changes-history\.json is damaged \(.* at nights\.0\.generated_at\).*delete it to start a new history/,
    );
  });

  test('starts a new history, and says so, when the listed history was deleted', async () => {
    const live = await readLiveHistory(api.dir(), [HISTORY_FILE]);
    expect(live.history).toBeNull();
    expect(live.warning).toMatch(/is missing: a new history starts tonight/);
  });
});

describe('the history a fetch publishes', () => {
  test('is carried forward by each publish, newest first, listed in the manifest and read by the loader', async () => {
    const workspace = generateWorkspace({ contacts: 60, seed: 3 });
    await fetchFrom({ workspace });
    const [first] = (await history()).nights;
    expect(first?.previous_generated_at).toBeNull();
    expect(first?.totals.added).toBe(60);

    const edited = structuredClone(workspace);
    (edited.contacts[0] as { email: string }).email = 'changed@example.test';
    await fetchFrom({ workspace: { ...edited, contacts: edited.contacts.slice(0, 55) } });
    const { nights } = await history();
    expect(nights.map((kept) => kept.totals.removed)).toEqual([5, 0]);
    expect(nights[0]?.totals.changed).toBe(1);
    expect(nights[0]?.previous_generated_at).toBe(first?.generated_at);

    const loaded = await readSnapshot(api.dir());
    expect(loaded.manifest.files.find((file) => file.name === HISTORY_FILE)?.rows).toBe(2);
    expect(loaded.history?.nights).toEqual(nights);
  });

  test('is left byte for byte by a run that fails', async () => {
    await fetchFrom({ contacts: 50, seed: 4 });
    await fetchFrom({ contacts: 50, seed: 4 });
    const before = await historyText();
    const failed = await fetchFrom({
      workspace: generateWorkspace({ contacts: 50, seed: 4, invalid: 20 }),
    }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(await historyText()).toBe(before);
    expect((await history()).nights).toHaveLength(2);
  });

  test('stops the next run, fetching nothing, when the live history is damaged', async () => {
    await fetchFrom({ contacts: 20, seed: 6 });
    const file = await realpath(path.join(api.dir(), HISTORY_FILE));
    await writeFile(file, 'not json');
    const server = await api.serve({ contacts: 20, seed: 6 });
    const error = await fetchFromServer(server).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect(server.requests).toHaveLength(0);
    expect(await readFile(file, 'utf8')).toBe('not json');
    await unlink(file);
    const { lines } = await fetchFrom({ contacts: 20, seed: 6 });
    expect(lines.join('\n')).toMatch(/a new history starts tonight/);
    expect((await history()).nights).toHaveLength(1);
  });
});
