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
import { lineDigestOf } from '../../shared/line-digests.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** SHA-256 of the JSON of `props`: equal keys mean the page would render the same bytes. */
export function propsKey(props: unknown): string {
  return sha256(JSON.stringify(props));
}

/**
 * One memo for every copy of this module: the pages run in Astro's bundle, with their own copy, and
 * `buildSite()` keys the customers' files (`customer-files.ts`) from the same directory's contacts after
 * them; with a memo each, every customer's contacts were hashed twice.
 */
const DIGESTS = Symbol.for('qwoty.digests');
const holder = globalThis as { [DIGESTS]?: WeakMap<object, string> };
holder[DIGESTS] ??= new WeakMap<object, string>();
const digests = holder[DIGESTS];

/**
 * A digest of `value`, computed once per object: a customer's page and its CSV both show its contacts (78 MB
 * of JSON at 100,000 contacts), so each key holds this digest in their place. Only for data that is never
 * changed once built, as the directory's (`getDirectory()` builds it once per build).
 *
 * A list of contacts read from a snapshot's lines is hashed by their lines' digests, in order
 * (`line-digests.ts`): the same contacts give the same digest night after night, without writing them back
 * to JSON. Anything else, or a list of which one item was read otherwise, is hashed by its JSON. The two never
 * meet: the first starts `lines:`, the second is JSON.
 */
export function digestOf(value: object): string {
  let digest = digests.get(value);
  if (digest === undefined) {
    const lines = Array.isArray(value) ? lineDigests(value) : undefined;
    digest = sha256(lines === undefined ? JSON.stringify(value) : `lines:${lines.join(',')}`);
    digests.set(value, digest);
  }
  return digest;
}

/** The line digest of every item of `list`, or undefined when one has none. */
function lineDigests(list: readonly unknown[]): string[] | undefined {
  const found: string[] = [];
  for (const item of list) {
    const digest = typeof item === 'object' && item !== null ? lineDigestOf(item) : undefined;
    if (digest === undefined) return undefined;
    found.push(digest);
  }
  return found;
}

/** A generated file served at its own route (`/search/…`, `/export/…`): its name and its bytes. */
export interface GeneratedFile {
  name: string;
  body: string;
}

/**
 * The static paths of a `[file].ts` route that serves `files`, each file its props' body, so the incremental
 * build reuses a file while its body is unchanged. The route's `GET` is `serveGeneratedFile`.
 */
export function generatedFilePaths(files: readonly GeneratedFile[]) {
  return files.map((file) => ({
    params: { file: file.name },
    props: { file },
    cacheKey: propsKey({ file }),
  }));
}

export function serveGeneratedFile({ props }: { props: { file: GeneratedFile } }): Response {
  return new Response(props.file.body);
}
