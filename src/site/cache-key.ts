/**
 * Keys for Astro's incremental build (`experimental.incrementalBuild` in `astro.config.mjs`): a page that
 * `getStaticPaths()` returns with a `cacheKey` is copied from the previous build when its key and its code
 * (Astro hashes the page's module graph, scripts and styles included) are both unchanged.
 *
 * The rule that keeps a copied page true: a reusable page renders its props and nothing else (it never
 * calls `getDirectory()`), and its key is the hash of those props. Whatever changes every night (the
 * snapshot's date, counts, the reports) is shown only on the pages without `getStaticPaths()` (home,
 * reports, 404), which are always rendered.
 */
import { createHash } from 'node:crypto';

/** SHA-256 of the JSON of `props`: equal keys mean the page would render the same bytes. */
export function propsKey(props: unknown): string {
  return createHash('sha256').update(JSON.stringify(props)).digest('hex');
}
