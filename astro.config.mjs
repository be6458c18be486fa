// @ts-check
import { defineConfig } from 'astro/config';

/**
 * A static site built from the published snapshot alone. Scripts and styles are always emitted as files
 * (never inlined) so the Content-Security-Policy can say `script-src 'self'; style-src 'self'`.
 *
 * Incremental build: a page whose `cacheKey` (the hash of exactly the data it shows, see
 * `src/site/cache-key.ts`) and code are unchanged since the last build is copied from `cacheDir` instead of
 * rendered: on most nights nearly every customer page. `cacheDir` (`.cache/astro`, or QWOTY_SITE_CACHE_DIR)
 * holds a copy of the last site, so personal data: git-ignored, and kept between nights by the nightly
 * workflow next to the data. `npm run build` guards it (one build at a time, nothing reused after a build
 * that did not finish; see `scripts/site-cache.ts`), and `npm run build -- --force` or QWOTY_SITE_REBUILD=1
 * renders every page. `build.concurrency` stays 1, Astro's advice: rendering is JavaScript on one thread,
 * so more would only hold more pages in memory.
 */
export default defineConfig({
  outDir: process.env.QWOTY_SITE_DIR ?? 'dist',
  cacheDir: process.env.QWOTY_SITE_CACHE_DIR || '.cache/astro',
  output: 'static',
  trailingSlash: 'ignore',
  build: { format: 'directory', inlineStylesheets: 'never', concurrency: 1 },
  compressHTML: true,
  devToolbar: { enabled: false },
  prefetch: false,
  vite: { build: { assetsInlineLimit: 0 } },
  experimental: { incrementalBuild: true },
});
