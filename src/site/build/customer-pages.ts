/**
 * The customers' pages on a night after the first: our own incremental layer in front of Astro's.
 *
 * Astro's incremental build (`cacheKey` in `getStaticPaths`) still started every customer's route: it listed
 * all 12,500 paths with their props, hashed their keys, and copied each cached page into the new site one
 * by one, rewriting its cache index; at 100,000 contacts that was most of a night without changes, longer
 * than a bare Astro build of as many pages. Here the build decides before Astro starts which customers'
 * pages changed (`planCustomerPages`): their page key (`customerPageKey`: everything the page shows, the
 * site's settings and the code that renders it) names a file in the cache or does not. `getStaticPaths`
 * lists only those without one (`customerPagesToRender`); every other page is linked into the new site from
 * the cache while Astro renders those (`placeCachedPages`), and once Astro finished, every rendered one into
 * the cache (`storeRenderedPages`).
 *
 * The cache is content-keyed and only ever gains whole files under their key (`keyed-store.ts`), as the
 * customers' files' cache does (`customer-files.ts`); the site cache's lock
 * (`site-cache.ts`) keeps two builds out of it and makes a build after a failed one reuse nothing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Lang } from '../shared/text.ts';
import { digestOf, propsKey } from './cache-key.ts';
import { sourceDigest } from './customer-files.ts';
import type { CustomerEntry } from './directory.ts';
import { inSlices, type KeyedStore, openKeyedStore, type Placing } from './keyed-store.ts';

/** The folder of the site cache that holds the customers' pages, by key. */
export const CUSTOMER_PAGES_CACHE = 'customer-pages';

/**
 * The source a customer page's bytes depend on beyond its props: the page, its components and layout, their
 * styles and scripts (whose hashed file names the page links), what they import, the site's configuration
 * and the packages that build it. Broader than Astro's own module graph on purpose: a change anywhere here
 * renders every page once, where a missed file would copy a stale page for ever.
 */
const PAGE_CODE = [
  'src/pages',
  'src/components',
  'src/layouts',
  'src/styles',
  'src/site',
  'src/shared',
  'src/pipeline',
  'src/consts.ts',
  'astro.config.mjs',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];

/** SHA-256 of the pages' code (`PAGE_CODE`), read from the checkout in `root`. */
export function pageCodeDigest(root?: string): Promise<string> {
  return sourceDigest(PAGE_CODE, root);
}

/** What a customer page is rendered with beyond its props: the build's settings that show in it. */
export interface PageSettings {
  lang: Lang;
  /** The time zone its times are shown in, resolved (never the language's default left open). */
  timeZone: string;
  /** The canonical address (`QWOTY_SITE_URL`), or null. */
  siteUrl: string | null;
  /** The path the site is served under: every link of the page starts with it. */
  base: string;
}

/** The props of a customer page (`src/pages/customers/[id]/index.astro`). */
export interface CustomerPageProps {
  entry: CustomerEntry;
  demo: boolean;
}

/**
 * The key of a customer page: equal keys, equal bytes. Its props (the contacts by their digest, shared with
 * the CSV's key), the build's settings and the pages' code.
 */
export function customerPageKey(props: CustomerPageProps, settings: PageSettings, code: string): string {
  const { entry, demo } = props;
  return propsKey({ entry: { ...entry, contacts: digestOf(entry.contacts) }, demo, settings, code });
}

/** One customer's page in a plan: its id, its name in the cache, and whether the cache holds it. */
interface PlannedPage {
  id: string;
  name: string;
  cached: boolean;
}

/** What a build does with the customers' pages: which Astro renders, which come from the cache. */
export interface CustomerPagePlan {
  /** The cache's folder of pages; undefined for a build without a cache (another build holds it). */
  store: KeyedStore | undefined;
  pages: PlannedPage[];
  /** The ids Astro must render; every customer when there is no usable cache. */
  render: ReadonlySet<string>;
}

/**
 * Before Astro: which customers' pages the cache in `cacheDir` holds under their key. With no cache, or
 * `force` (a first night, a build after a failed one, `--force`), every page is rendered, and the cache
 * is still filled for the next build.
 */
export async function planCustomerPages(options: {
  customers: readonly CustomerEntry[];
  demo: boolean;
  settings: PageSettings;
  /** The site cache (`QWOTY_SITE_CACHE_DIR`), or undefined for none. */
  cacheDir: string | undefined;
  force: boolean;
  /** The checkout whose code renders the pages; this one by default. */
  root?: string;
}): Promise<CustomerPagePlan> {
  const { customers, demo, settings } = options;
  const store =
    options.cacheDir === undefined
      ? undefined
      : openKeyedStore(path.join(options.cacheDir, CUSTOMER_PAGES_CACHE), options.force);
  const code = await pageCodeDigest(options.root);
  const pages = customers.map((entry): PlannedPage => {
    const name = customerPageKey({ entry, demo }, settings, code);
    return { id: entry.customer.id, name, cached: store?.has(name) ?? false };
  });
  const render = new Set(pages.filter((page) => !page.cached).map((page) => page.id));
  return { store, pages, render };
}

/** The same plan with every page rendered: when a cached page could link a file this build did not emit. */
export function renderEveryPage(plan: CustomerPagePlan): CustomerPagePlan {
  const pages = plan.pages.map((page) => ({ ...page, cached: false }));
  return { ...plan, pages, render: new Set(pages.map((page) => page.id)) };
}

/** Where a customer's page is in a site, relative to its folder (Astro's `build.format: 'directory'`). */
export function customerPagePath(id: string): string {
  return `customers/${id}/index.html`;
}

export interface FinishCustomerPagesResult {
  /** Pages linked (or copied) from the cache into the site. */
  reused: number;
  /** Pages Astro rendered, now in the cache too. */
  stored: number;
}

export interface CustomerPagesOptions {
  /** The plan Astro followed. */
  plan: CustomerPagePlan;
  outDir: string;
  /** Told of each page taken from the cache, by its path in the site (`/customers/<id>/index.html`). */
  onReused?: (sitePath: string) => void;
}

/**
 * Makes every customer's folder in `outDir` (`customers/<id>/`), once, before its page and files are placed
 * in it: placing them into folders not there yet cost a failed link, the folder, and the link again, for
 * each of 12,500 customers at 100,000 contacts (a third of the links of a night without changes failed).
 * A folder already there (a page Astro rendered) is left as it is.
 */
export async function makeCustomerFolders(
  outDir: string,
  ids: readonly string[],
  placing?: Placing,
): Promise<void> {
  const parent = path.join(outDir, 'customers');
  mkdirSync(parent, { recursive: true });
  if (placing) for (const id of ids) placing.folder(path.join(parent, id));
  else await inSlices(ids, (id) => mkdirSync(path.join(parent, id), { recursive: true }));
}

/**
 * Links each page the plan did not render from the cache into `outDir`; resolves with how many. Needs only
 * the final plan, so it runs while Astro renders the other pages (`buildSite()`).
 */
export async function placeCachedPages(options: CustomerPagesOptions): Promise<number> {
  const { plan, outDir } = options;
  const { store } = plan;
  if (!store) return 0;
  const cached = plan.pages.filter((page) => page.cached);
  await inSlices(cached, (page) => {
    const sitePath = customerPagePath(page.id);
    store.place(page.name, path.join(outDir, sitePath));
    options.onReused?.(`/${sitePath}`);
  });
  return cached.length;
}

/**
 * After Astro: links each page it rendered into the cache under its key, then leaves the cache holding exactly
 * this build's pages; resolves with how many it stored.
 */
export async function storeRenderedPages(options: CustomerPagesOptions): Promise<number> {
  const { plan, outDir } = options;
  const { store } = plan;
  if (!store) return 0;
  const rendered = plan.pages.filter((page) => !page.cached);
  await inSlices(rendered, (page) => store.store(path.join(outDir, customerPagePath(page.id)), page.name));
  await store.keepOnly(new Set(plan.pages.map((page) => page.name)));
  return rendered.length;
}

/** After Astro, both: the cached pages into the site, the rendered ones into the cache. */
export async function finishCustomerPages(options: CustomerPagesOptions): Promise<FinishCustomerPagesResult> {
  const reused = await placeCachedPages(options);
  const stored = await storeRenderedPages(options);
  return { reused, stored };
}
