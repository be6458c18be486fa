/**
 * What a build tells its pages: which snapshot to read, after how many hours to call it out of date, and in which
 * language to write. Set
 * once by the `qwotySite` integration (`src/site/integration/qwoty-site.ts`), from the options
 * `astro.config.mjs` or `buildSite()` gave it; read by `getDirectory()` and the layout.
 *
 * It lives on `globalThis` under a registered symbol, and not in a module variable, because Astro renders the
 * pages in Vite's module runner, which has its own copy of every module: a variable set by the integration
 * would not be the one the pages read. Nor is it in any module's code (a Vite `define` or a generated virtual
 * module): the incremental build hashes the pages' code and configuration, and a snapshot path that changes
 * every night would make it render every page every night.
 */
import type { Lang } from '../shared/text.ts';

const KEY = Symbol.for('qwoty.site-context');

export interface SiteContext {
  /** The snapshot to read: the one folder `buildSite()` resolved when it started, or a data folder (`astro dev`). */
  dataDir: string;
  staleAfterHours: number;
  /** The language the site is written in. */
  lang: Lang;
  /** The time zone of the times shown (`QWOTY_SITE_TIME_ZONE`); `null` for the language's default. */
  timeZone: string | null;
  /** The site's public address (`QWOTY_SITE_URL`), for absolute links; `null` when not set. */
  siteUrl: string | null;
}

type Holder = { [KEY]?: SiteContext };

export function provideSiteContext(context: SiteContext): void {
  (globalThis as Holder)[KEY] = context;
}

export function siteContext(): SiteContext {
  const context = (globalThis as Holder)[KEY];
  if (!context)
    throw new Error('The site context is not set: build through astro.config.mjs or buildSite().');
  return context;
}
