/**
 * Each customer's `contacts.csv` and `contacts.vcf`, written next to its page after Astro's build, not as
 * Astro routes. They need none of a page's machinery (no layout, no components, no assets), but as routes
 * each paid a route's full price: two of the three outputs per customer, and about half of a first night's
 * site build. They are a pure function of the customer's entry in the directory, so they are made from the
 * same directory model and under the same cache keys the routes had (`propsKey` of the contacts' digest,
 * the customer's name and the language for the vCards), with the same reuse: a customer whose key is
 * unchanged since the last build has its files linked from the cache instead of made again.
 *
 * The content is the routes' was: `contactsToCsv` and `formatVcards` of `vcardOf`, unchanged; only who calls
 * them changed. The cache keys also hold a digest of the code that writes the files (`FILES_CODE`), as
 * Astro's keys held the route's module graph: a change to a writer makes every file again.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contactsToCsv } from '../../pipeline/exporters/csv.ts';
import type { Text } from '../shared/text.ts';
import { formatVcards } from '../shared/vcard.ts';
import { digestOf, propsKey } from './cache-key.ts';
import type { CustomerEntry } from './directory.ts';
import { inSlices, openKeyedStore, type Placing, writeWhole } from './keyed-store.ts';
import { vcardOf } from './vcards.ts';

/** One file of a customer's folder: where it goes, the key its bytes depend on, and how to make them. */
export interface CustomerFile {
  /** `customers/<id>/contacts.csv`, relative to the site's folder. */
  path: string;
  key: string;
  body: () => string;
}

/** The files of one customer, with the keys the routes `customers/[id]/contacts.{csv,vcf}` had. */
export function customerFiles(entry: CustomerEntry, text: Text): CustomerFile[] {
  const { contacts } = entry;
  const organisation = entry.customer.name;
  const folder = `customers/${entry.customer.id}`;
  const roleLabel = (role: string) => text.value('role', role);
  return [
    {
      path: `${folder}/contacts.csv`,
      key: propsKey({ contacts: digestOf(contacts) }),
      body: () => contactsToCsv(contacts),
    },
    {
      path: `${folder}/contacts.vcf`,
      // The roles are worded in the site's language: a build in another language makes it again.
      key: propsKey({ contacts: digestOf(contacts), organisation, lang: text.lang }),
      body: () => formatVcards(contacts.map((contact) => vcardOf(contact, organisation, roleLabel))),
    },
  ];
}

/** The source the files' bytes depend on, beyond their data: a change to any makes every file again. */
const FILES_CODE = [
  'src/pipeline/exporters',
  'src/site/shared',
  'src/site/build/customer-files.ts',
  'src/site/build/vcards.ts',
  'src/site/build/directory.ts',
  'src/shared/spreadsheet-safety.ts',
  'src/shared/export-columns.ts',
  'src/shared/csv-format.ts',
  'src/shared/schema',
  // How a snapshot's lines become contacts, whose digests key the files (`line-digests.ts`).
  'src/pipeline/read-snapshot.ts',
  'src/pipeline/snapshot-lines.ts',
  'src/shared/each-line.ts',
  'src/shared/line-digests.ts',
  'package-lock.json',
];

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** SHA-256 of the files' code (`FILES_CODE`), read from this checkout. */
export function filesCodeDigest(root = ROOT): Promise<string> {
  return sourceDigest(FILES_CODE, root);
}

/**
 * SHA-256 of the source files `entries` name (files, or folders read whole), under `root`: what a cached
 * output was made by, beyond its data.
 */
export async function sourceDigest(entries: readonly string[], root = ROOT): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of entries) {
    const full = path.join(root, entry);
    const files = entry.includes('.')
      ? [full]
      : (await readdir(full, { recursive: true, withFileTypes: true }))
          .filter((item) => item.isFile())
          .map((item) => path.join(item.parentPath, item.name))
          .sort();
    for (const file of files) {
      // A checkout without a lockfile (installed with `npm install`) still builds: its absence is hashed.
      const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return Buffer.from('(absent)');
        throw error;
      });
      hash.update(path.relative(root, file)).update('\0').update(bytes).update('\0');
    }
  }
  return hash.digest('hex');
}

export interface WriteCustomerFilesOptions {
  customers: readonly CustomerEntry[];
  text: Text;
  /** The site's folder, where Astro wrote the pages. */
  outDir: string;
  /**
   * Where the files of the last build are kept, by key (`customer-files/` inside the site cache); undefined
   * for no cache at all (another build holds it).
   */
  cacheDir?: string | undefined;
  /** Make every file, reusing nothing; the cache is still refreshed. */
  force?: boolean;
  /** Told of each file once it is in `outDir`: its path in the site, and whether it came from the cache. */
  onFile?: (sitePath: string, reused: boolean) => void;
  /**
   * Where the files' writes and links go, to be done by a worker while this thread makes the next files'
   * bytes (`Placing`); done here, in slices, without. The caller runs it.
   */
  placing?: Placing | undefined;
}

export interface CustomerFilesResult {
  /** Files made from their data. */
  written: number;
  /** Files linked (or, across file systems, copied) from the cache. */
  reused: number;
}

export const CUSTOMER_FILES_CACHE = 'customer-files';

/**
 * Writes every customer's files into `outDir`, linking those whose key is in the cache, and leaves the cache
 * holding exactly this build's files (`keyed-store.ts`). A file made now is written whole into the site, then
 * linked into the cache under its key: a build killed halfway leaves no partial file under a key (and the
 * site cache's lock makes the next build reuse nothing anyway).
 */
export async function writeCustomerFiles(options: WriteCustomerFilesOptions): Promise<CustomerFilesResult> {
  const { customers, text, outDir, force = false } = options;
  const store =
    options.cacheDir === undefined
      ? undefined
      : openKeyedStore(path.join(options.cacheDir, CUSTOMER_FILES_CACHE), force);
  const code = await filesCodeDigest();
  const used = new Set<string>();
  const result: CustomerFilesResult = { written: 0, reused: 0 };

  function one(file: CustomerFile): void {
    const target = path.join(outDir, file.path);
    const name = createHash('sha256')
      .update(`${code}\0${path.basename(file.path)}\0${file.key}`)
      .digest('hex');
    used.add(name);
    if (store?.has(name)) {
      if (options.placing) options.placing.link(store.pathOf(name), target);
      else store.place(name, target);
      result.reused += 1;
      options.onFile?.(`/${file.path}`, true);
      return;
    }
    const body = file.body();
    result.written += 1;
    options.onFile?.(`/${file.path}`, false);
    if (options.placing) options.placing.write(target, body, store?.pathOf(name));
    else writeWhole(target, body, store?.pathOf(name));
  }

  // One customer's files at a time (synchronous calls, in slices: `keyed-store.ts`), each body made just
  // before it is written, so only one is held at once (with `placing`, at most a batch of them).
  await inSlices(customers, (entry) => {
    for (const file of customerFiles(entry, text)) one(file);
  });
  // Only this build's files stay: a customer gone or changed does not leave its old files behind forever.
  await store?.keepOnly(used);
  return result;
}
