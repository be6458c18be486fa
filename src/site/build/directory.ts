/**
 * The site's view of the snapshot: read once per build through `readSnapshot`, then grouped once (customers
 * in alphabetical order with their contacts, letters, facets) so every page does work in proportion to
 * itself only.
 */
import { readBefore } from '../../pipeline/freshness.ts';
import { type LoadedSnapshot, readSnapshot } from '../../pipeline/read-snapshot.ts';
import { summariseNight } from '../../pipeline/reports/history.ts';
import { bareCustomer } from '../../pipeline/snapshot.ts';
import type {
  Manifest,
  ManifestFile,
  Snapshot,
  SnapshotContact,
  SnapshotCustomer,
} from '../../shared/schema/published.ts';
import type { ChangesNight, ChangesReport, QualityReport } from '../../shared/schema/reports.ts';
import { fold } from '../shared/search.ts';
import type { Text } from '../shared/text.ts';
import { siteContext } from './site-context.ts';
import { siteText } from './site-text.ts';

export interface CustomerEntry {
  /**
   * Without `fetched_at`: it changes every night a customer is read, and a customer page's props are its
   * cache key (see `detailsReadAt`).
   */
  customer: Omit<SnapshotCustomer, 'fetched_at'>;
  /**
   * When the customer's details were read from Qwoty, if that was before the night the snapshot was taken
   * (the record of an earlier night was kept); null when they were read that night, or never.
   */
  detailsReadAt: string | null;
  /** What to show: the name, or "Customer <id>" when it could not be read. */
  name: string;
  /** The letter it is listed under: A–Z, or "#" for anything else. */
  letter: string;
  /** Its contacts, sorted by last name then first name. */
  contacts: SnapshotContact[];
}

export interface LetterGroup {
  letter: string;
  /** URL segment: the letter in lower case, or `other` for "#". */
  slug: string;
  customers: CustomerEntry[];
}

/** What a list of customers shows of one: a reusable page's props hold this, not the whole entry. */
export interface CustomerLink {
  id: string;
  name: string;
  contacts: number;
}

/** What the letter navigation shows of a letter. */
export interface LetterLink {
  letter: string;
  slug: string;
  customers: number;
}

export interface Facet {
  value: string;
  count: number;
}

/** A file the site republishes: its manifest entry (without the hash, which no page shows) and what it holds. */
export interface Download extends Omit<ManifestFile, 'name' | 'sha256'> {
  name: keyof typeof PUBLISHED_FILES;
  /** What it holds: the snapshot's contacts, or one of the reports. */
  kind: DownloadKind;
}

export interface Directory {
  /** The real folder the snapshot was read from. */
  dir: string;
  manifest: Manifest;
  snapshot: Snapshot;
  /** What changed since the previous snapshot; null when the snapshot was published without the report. */
  changes: ChangesReport | null;
  /** Data-quality findings and rejects; null when the snapshot was published without the report. */
  quality: QualityReport | null;
  /**
   * The last nights' change summaries, newest first: the published history, else this snapshot's night
   * alone when it has a change report, else none.
   */
  nights: ChangesNight[];
  /** Each contact's customer id, by contact id: links a report's contact only when its row exists. */
  customerOfContact: Map<string, string>;
  customers: CustomerEntry[];
  byId: Map<string, CustomerEntry>;
  letters: LetterGroup[];
  /** Roles present, most frequent first. */
  roles: Facet[];
  /** Countries present (contact addresses, else the customer's), most frequent first. */
  countries: Facet[];
  /** The snapshot files the site publishes, in `PUBLISHED_FILES` order; never `rejects.json`. */
  downloads: Download[];
}

/**
 * The only snapshot files the site republishes, in the order it lists them, by what they hold. Never
 * `rejects.json` (it keeps the raw records as the API sent them) nor the manifest. Their link texts are in the
 * language tables (`downloads.<file>`), which a file added here without one fails to type-check.
 */
export const PUBLISHED_FILES = {
  'contacts.csv': 'contacts',
  'contacts.xlsx': 'contacts',
  'contacts.json': 'contacts',
  'changes.csv': 'changes',
  'changes.json': 'changes',
  'quality.csv': 'quality',
  'quality.json': 'quality',
} as const;
export type DownloadKind = (typeof PUBLISHED_FILES)[keyof typeof PUBLISHED_FILES];

/** What a download's link says: "CSV", "Excel (XLSX)"… */
export function downloadLabel(text: Text, name: keyof typeof PUBLISHED_FILES): string {
  return text.t(`downloads.${name}`);
}

/** The files of a snapshot's manifest that the site republishes, in `PUBLISHED_FILES` order. */
export function downloadsOf(manifest: Manifest): Download[] {
  return Object.entries(PUBLISHED_FILES).flatMap(([name, kind]) => {
    const file = manifest.files.find((listed) => listed.name === name);
    return file
      ? [
          {
            name: name as keyof typeof PUBLISHED_FILES,
            kind,
            bytes: file.bytes,
            rows: file.rows,
            media_type: file.media_type,
          },
        ]
      : [];
  });
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

let loading: Promise<Directory> | undefined;

/**
 * A directory `buildSite()` read before Astro started, handed to the pages on `globalThis` under a registered
 * symbol, for the reason `site-context.ts` gives (the pages run in Vite's module runner, with their own copy
 * of this module).
 */
const PROVIDED = Symbol.for('qwoty.site-directory');
type Holder = { [PROVIDED]?: Promise<Directory> };

/**
 * The directory of the snapshot the build was given (`site-context.ts`), loaded once per build: the one
 * `provideDirectory()` gave, else read here.
 */
export function getDirectory(): Promise<Directory> {
  loading ??=
    (globalThis as Holder)[PROVIDED] ??
    readSnapshot(siteContext().dataDir).then((loaded) => buildDirectory(loaded, siteText()));
  return loading;
}

/**
 * Gives the pages of the next Astro build this directory, read before Astro started. Reading a snapshot
 * holds its text, the parsed JSON and the validated copy at once (about 700 MB at 100,000 contacts, for
 * 160 MB that stay): done before Astro, that peak passes before Astro's own memory is added to it, and
 * Astro then reuses the heap it leaves free. What is written after Astro (each customer's files) is made
 * from the same directory (`takeDirectory()`), without reading and holding the snapshot a second time.
 */
export function provideDirectory(directory: Promise<Directory>): void {
  (globalThis as Holder)[PROVIDED] = directory;
}

/** The directory `provideDirectory()` gave, if any, and lets go of it. */
export function takeDirectory(): Promise<Directory> | undefined {
  const holder = globalThis as Holder;
  const provided = holder[PROVIDED];
  delete holder[PROVIDED];
  return provided;
}

export function letterOf(name: string): string {
  const first = fold(name.trim()).charAt(0).toUpperCase();
  return first >= 'A' && first <= 'Z' ? first : '#';
}

export function contactName(contact: SnapshotContact): string {
  const name = [contact.first_name, contact.last_name]
    .filter((part) => part?.trim())
    .join(' ')
    .trim();
  return name || contact.email || contact.id;
}

/** Countries of a contact's own addresses, else of its customer's. */
export function contactCountries(contact: SnapshotContact, customer: SnapshotCustomer): string[] {
  const own = contact.addresses.map((address) => address.country);
  const countries = (own.some(Boolean) ? own : customer.addresses.map((address) => address.country)).filter(
    (country): country is string => Boolean(country),
  );
  return [...new Set(countries)];
}

/** The latest `updated_at` of the contacts, or null when none has one. */
export function lastUpdated(contacts: readonly SnapshotContact[]): string | null {
  let latest: string | null = null;
  for (const { updated_at: updated } of contacts) {
    if (updated && (latest === null || Date.parse(updated) > Date.parse(latest))) latest = updated;
  }
  return latest;
}

export function customerLink(entry: CustomerEntry): CustomerLink {
  return { id: entry.customer.id, name: entry.name, contacts: entry.contacts.length };
}

export function letterLink(group: LetterGroup): LetterLink {
  return { letter: group.letter, slug: group.slug, customers: group.customers.length };
}

/** The directory of a loaded snapshot; `text` names the customers whose name could not be read. */
export function buildDirectory(loaded: LoadedSnapshot, text: Text): Directory {
  const { snapshot } = loaded;
  const byId = new Map<string, CustomerEntry>();
  const entry = ({ fetched_at: fetchedAt, ...customer }: SnapshotCustomer): CustomerEntry => {
    const name = customer.name?.trim() || text.t('customer.fallbackName', { id: customer.id });
    return {
      customer,
      detailsReadAt:
        fetchedAt && readBefore({ fetched_at: fetchedAt }, snapshot.generated_at) ? fetchedAt : null,
      name,
      letter: customer.name?.trim() ? letterOf(name) : '#',
      contacts: [],
    };
  };
  for (const customer of snapshot.customers) {
    byId.set(customer.id, entry(customer));
  }
  const roleCounts = new Map<string, number>();
  const countryCounts = new Map<string, number>();
  for (const contact of snapshot.contacts) {
    let owner = byId.get(contact.customer_id);
    if (!owner) {
      // A contact whose customer is not in the list still gets a page, from what the contact says.
      owner = entry(
        bareCustomer({ id: contact.customer_id, name: contact.customer_name, type: contact.customer_type }),
      );
      byId.set(contact.customer_id, owner);
    }
    owner.contacts.push(contact);
    for (const role of new Set(contact.role)) {
      roleCounts.set(role, (roleCounts.get(role) ?? 0) + 1);
    }
    for (const country of contactCountries(contact, owner.customer)) {
      countryCounts.set(country, (countryCounts.get(country) ?? 0) + 1);
    }
  }
  const customers = [...byId.values()].sort(
    (a, b) =>
      Number(a.letter === '#') - Number(b.letter === '#') ||
      collator.compare(a.name, b.name) ||
      a.customer.id.localeCompare(b.customer.id),
  );
  const byLetter = new Map<string, CustomerEntry[]>();
  for (const customer of customers) {
    customer.contacts.sort(
      (a, b) =>
        collator.compare(a.last_name ?? '', b.last_name ?? '') ||
        collator.compare(a.first_name ?? '', b.first_name ?? '') ||
        a.id.localeCompare(b.id),
    );
    const group = byLetter.get(customer.letter) ?? [];
    group.push(customer);
    byLetter.set(customer.letter, group);
  }
  const facets = (counts: Map<string, number>): Facet[] =>
    [...counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || collator.compare(a.value, b.value));
  return {
    ...loaded,
    customers,
    byId,
    letters: [...byLetter].map(([letter, group]) => ({
      letter,
      slug: letter === '#' ? 'other' : letter.toLowerCase(),
      customers: group,
    })),
    nights: loaded.history?.nights ?? (loaded.changes ? [summariseNight(loaded.changes)] : []),
    roles: facets(roleCounts),
    countries: facets(countryCounts),
    customerOfContact: new Map(snapshot.contacts.map((contact) => [contact.id, contact.customer_id])),
    downloads: downloadsOf(loaded.manifest),
  };
}
