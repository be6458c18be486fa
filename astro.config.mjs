// @ts-check
import { defineConfig } from 'astro/config';
import { devDownloads } from './src/site/integration/dev-downloads.ts';

/**
 * A static site built from the published snapshot alone. Scripts and styles are always emitted as files
 * (never inlined) so the Content-Security-Policy can say `script-src 'self'; style-src 'self'`.
 *
 * Incremental build: a page whose `cacheKey` (the hash of exactly the data it shows, see
 * `src/site/build/cache-key.ts`) and code are unchanged since the last build is copied from `cacheDir` instead of
 * rendered: on most nights nearly every customer page. `cacheDir` (`.cache/astro`, or QWOTY_SITE_CACHE_DIR)
 * holds a copy of the last site, so personal data: git-ignored, and kept between nights by the nightly
 * workflow next to the data. `npm run build` guards it (one build at a time, nothing reused after a build
 * that did not finish; see `src/site/build/site-cache.ts`), and `npm run build -- --force` or QWOTY_SITE_REBUILD=1
 * renders every page.
 *
 * `build.concurrency`: rendering is JavaScript on one thread, but writing each page (into `outDir`, and
 * again into `cacheDir`: two directories and two files per customer) is file-system work done by the kernel
 * in Node's thread pool. One page at a time, the main thread waits for every write, and that work never
 * overlaps the rendering: a build that renders every page (a first night, a code change) took 34 s, against
 * 21 s with 16 pages in flight, at 100,000 contacts on 2 cores (`npm run bench:site`; more than 16 measured
 * no faster). Pages are about 10 kB, so 16 in memory are nothing. Same pages, same bytes, same cache: only
 * the lines of the build log interleave.
 *
 * `devDownloads`: `astro dev` serves `/downloads/*` from the snapshot, as a build copies them.
 */
export default defineConfig({
  outDir: process.env.QWOTY_SITE_DIR ?? 'dist',
  cacheDir: process.env.QWOTY_SITE_CACHE_DIR || '.cache/astro',
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory', inlineStylesheets: 'never', concurrency: 16 },
  compressHTML: true,
  devToolbar: { enabled: false },
  prefetch: false,
  vite: { build: { assetsInlineLimit: 0 } },
  experimental: { incrementalBuild: true },
  integrations: [devDownloads()],
});
