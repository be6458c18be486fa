/**
 * The Astro configuration of the site, as a function of its settings: `astro.config.mjs` calls it with the
 * environment's, `buildSite()` with the ones it resolved, so the settings reach the pages once, explicitly.
 *
 * A static site built from the published snapshot alone. Scripts and styles are always emitted as files
 * (never inlined) so the Content-Security-Policy can say `script-src 'self'; style-src 'self'`.
 *
 * Incremental build: a page whose `cacheKey` (the hash of exactly the data it shows, see
 * `src/site/build/cache-key.ts`) and code are unchanged since the last build is copied from `cacheDir` instead
 * of rendered (the letter pages, the search files). The customers' pages, nearly all of a night's, do not go
 * through it: `npm run build` lists only the changed ones to Astro and links the others from its own cache in
 * `cacheDir` (`src/site/build/customer-pages.ts`). `cacheDir` holds a copy of the last site, so
 * personal data: git-ignored, and kept between nights by the nightly workflow next to the data. `npm run
 * build` guards it (one build at a time, nothing reused after a build that did not finish; see
 * `src/site/build/site-cache.ts`), and `npm run build -- --force` or QWOTY_SITE_REBUILD=1 renders every page.
 *
 * `build.concurrency`: rendering is JavaScript on one thread, but writing each page (into `outDir`, and
 * again into `cacheDir`: two directories and two files per customer) is file-system work done by the kernel
 * in Node's thread pool. One page at a time, the main thread waits for every write, and that work never
 * overlaps the rendering: a build that renders every page (a first night, a code change) took 34 s, against
 * 21 s with 16 pages in flight, at 100,000 contacts on 2 cores (`npm run bench:site`; more than 16 measured
 * no faster). Pages are about 10 kB, so 16 in memory are nothing. Same pages, same bytes, same cache: only
 * the lines of the build log interleave.
 */
import path from 'node:path';
import { defineConfig } from 'astro/config';
import type { SiteContext } from '../build/site-context.ts';
import { siteFolder } from '../build/site-folder.ts';
import { qwotySite } from './qwoty-site.ts';

export interface SiteConfigOptions extends SiteContext {
  siteDir: string;
  cacheDir: string;
  /** Astro's `base`, the path the site is served under (`QWOTY_SITE_BASE`); `/` by default. */
  base?: string;
  /**
   * `siteDir` is a new folder made for this build (`buildSite()`'s staging folder): Astro leaves in it what
   * is there, the folders and files placed before it starts (`placeEarly` in `build-site.ts`), instead of
   * emptying it first. Off for `astro build` run by hand, into a folder that may hold an older build.
   */
  freshOutDir?: boolean;
}

export function defineSiteConfig(options: SiteConfigOptions) {
  return defineConfig({
    outDir: options.siteDir,
    base: options.base ?? '/',
    cacheDir: options.cacheDir,
    output: 'static',
    trailingSlash: 'ignore',
    build: { format: 'directory', inlineStylesheets: 'never', concurrency: 16 },
    compressHTML: true,
    devToolbar: { enabled: false },
    prefetch: false,
    vite: {
      // Vite's dependency cache goes with the site cache, not into the checkout's node_modules/.vite: the
      // nightly's user may write only its data, site and cache folders (deploy/qwoty-nightly.service).
      cacheDir: path.join(options.cacheDir, 'vite'),
      build: { assetsInlineLimit: 0, ...(options.freshOutDir ? { emptyOutDir: false } : {}) },
      // Vite ignores the site folder (`outDir`), a link; not the versions it points into, which `astro dev`
      // would otherwise watch: two copies of every page.
      server: { watch: { ignored: [`${siteFolder(options.siteDir).versionsDir}/**`] } },
    },
    experimental: { incrementalBuild: true },
    integrations: [
      qwotySite({
        dataDir: options.dataDir,
        staleAfterHours: options.staleAfterHours,
        lang: options.lang,
        timeZone: options.timeZone,
        siteUrl: options.siteUrl,
      }),
    ],
  });
}
