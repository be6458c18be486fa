/**
 * The change history: the last nights' change summaries (`changes-history.json`), so the site can list the
 * nights and publish them as a feed. Each publish reads the live snapshot's history, puts its own night in
 * front and writes the result into the new snapshot folder, so the history is switched together with the
 * snapshot, and a failed run leaves the live one as it was. It holds counts and customer names, never a
 * contact.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SnapshotIoError } from '../../shared/errors.ts';
import {
  type ChangesHistory,
  ChangesHistorySchema,
  type ChangesNight,
  type ChangesReport,
  ChangesReportSchema,
  type ContactRef,
  type NightCustomer,
} from '../../shared/schema/reports.ts';
import { CHANGES_FILE, HISTORY_FILE } from './files.ts';

/** Nights the history keeps, the newest included. */
export const HISTORY_NIGHTS = 30;

/**
 * Customers a night names at most, in each of its lists: a night that touched every customer of a large
 * workspace still makes a small file (its counts stay whole).
 */
export const HISTORY_CUSTOMER_LIMIT = 100;

/** A night's summary of a change report: its totals and the customers concerned, with counts. */
export function summariseNight(changes: ChangesReport): ChangesNight {
  const byCustomer = new Map<string, NightCustomer>();
  const count = (refs: readonly ContactRef[], field: 'added' | 'removed' | 'changed') => {
    for (const ref of refs) {
      let customer = byCustomer.get(ref.customer_id);
      if (!customer) {
        customer = { id: ref.customer_id, name: ref.customer_name, added: 0, removed: 0, changed: 0 };
        byCustomer.set(ref.customer_id, customer);
      }
      customer[field] += 1;
      // A removed contact may carry an older name than a changed one: keep the first readable.
      customer.name ??= ref.customer_name;
    }
  };
  count(changes.contacts.added, 'added');
  count(changes.contacts.changed, 'changed');
  count(changes.contacts.removed, 'removed');
  const total = (customer: NightCustomer) => customer.added + customer.removed + customer.changed;
  const customers = [...byCustomer.values()].sort(
    (a, b) => total(b) - total(a) || (a.name ?? '').localeCompare(b.name ?? '') || a.id.localeCompare(b.id),
  );
  return {
    generated_at: changes.generated_at,
    previous_generated_at: changes.previous_generated_at,
    totals: changes.totals,
    customers: customers.slice(0, HISTORY_CUSTOMER_LIMIT),
    customers_changed: customers.length,
    customers_added: changes.customers.added.slice(0, HISTORY_CUSTOMER_LIMIT),
    customers_removed: changes.customers.removed.slice(0, HISTORY_CUSTOMER_LIMIT),
  };
}

/**
 * The history after this night: `night` first, then the previous nights that are older than it, at most
 * `HISTORY_NIGHTS` in all.
 */
export function carryHistory(previous: ChangesHistory | null, night: ChangesNight): ChangesHistory {
  const taken = Date.parse(night.generated_at);
  const older = (previous?.nights ?? []).filter((kept) => Date.parse(kept.generated_at) < taken);
  return { schema_version: 1, nights: [night, ...older].slice(0, HISTORY_NIGHTS) };
}

/**
 * Reads a published history. Null when the file is not there (a snapshot published before the history
 * existed); throws when it is there but unreadable or not of the history's shape, so a damaged history is
 * never silently replaced by a shorter one.
 */
export async function readHistory(file: string): Promise<ChangesHistory | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return ChangesHistorySchema.parse(JSON.parse(text));
}

/** What a run carries forward from the live snapshot: its history, or null to start one, and why if it must. */
export interface LiveHistory {
  history: ChangesHistory | null;
  /** Said when a history the live snapshot should have is missing and a new one starts. */
  warning?: string;
}

/**
 * The history of the live snapshot folder `dir`, whose manifest lists `files`. A snapshot published before
 * the history existed has none: its `changes.json` becomes the first night, so no night is lost to the
 * upgrade.
 *
 * @throws {SnapshotIoError} when the listed history is unreadable or damaged: publishing a new one would lose
 *   the nights it holds, so the run stops and says how to go on.
 */
export async function readLiveHistory(dir: string, files: readonly string[]): Promise<LiveHistory> {
  const file = path.join(dir, HISTORY_FILE);
  if (files.includes(HISTORY_FILE)) {
    try {
      const history = await readHistory(file);
      if (history) return { history };
    } catch (error) {
      throw new SnapshotIoError(
        `The change history ${file} is damaged (${describe(error)}), and publishing would lose the nights it holds; nothing was fetched. Restore it from a backup, or delete it to start a new history with the next run.`,
        { cause: error },
      );
    }
    return { history: null, warning: `The change history ${file} is missing: a new history starts tonight.` };
  }
  if (!files.includes(CHANGES_FILE)) return { history: null };
  try {
    const changes = ChangesReportSchema.parse(
      JSON.parse(await readFile(path.join(dir, CHANGES_FILE), 'utf8')),
    );
    return { history: { schema_version: 1, nights: [summariseNight(changes)] } };
  } catch (error) {
    return {
      history: null,
      warning: `The live snapshot's ${CHANGES_FILE} could not be read (${describe(error)}): the change history starts tonight.`,
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    return `${issue?.message ?? 'invalid'}${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}
