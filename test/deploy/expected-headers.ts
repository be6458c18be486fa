/**
 * What every host of the built site must send, in one place: read by the test that keeps
 * `public/_headers`, `deploy/nginx.conf` and `deploy/Caddyfile` consistent, and by the end-to-end test that
 * starts nginx and Caddy on those files and asks them.
 */
import { CONTENT_SECURITY_POLICY } from '../../src/consts.ts';

/** The page CSP, plus `frame-ancestors`, which a `<meta>` CSP cannot carry. */
export const HEADER_CSP = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/** Sent on every response, 404s and redirects included; names in lower case, as `fetch()` gives them. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': HEADER_CSP,
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export const CACHE_CONTROL = {
  /** Pages and downloads: personal data, replaced every night under the same name. */
  personal: 'private, no-cache',
  /** The search and export data: every contact, in files named by their content hash. */
  search: 'private, max-age=31536000, immutable',
  /** Scripts and styles: named by their content hash, no personal data. */
  hashed: 'public, max-age=31536000, immutable',
} as const;

/** The Cache-Control a host must send for a URL path. */
export function cacheControlFor(path: string): string {
  if (path.startsWith('/_astro/')) return CACHE_CONTROL.hashed;
  if (path.startsWith('/search/') || path.startsWith('/export/')) return CACHE_CONTROL.search;
  return CACHE_CONTROL.personal;
}

/** Media types by file extension: the site's own files, and the downloads (`.vcf` and the Atom feed to come). */
export const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.vcf': 'text/vcard; charset=utf-8',
  '.xml': 'application/atom+xml',
  '.svg': 'image/svg+xml',
};

/**
 * Sample URL paths of every kind the site serves, for checking the rules of a configuration file without
 * a server.
 */
export const SAMPLE_PATHS = [
  '/',
  '/index.html',
  '/404.html',
  '/changes/',
  '/quality/',
  '/customers/0d9f3c1e-8d7b-4c5e-9a51-2f0c8b7e6d41/',
  '/customers/0d9f3c1e-8d7b-4c5e-9a51-2f0c8b7e6d41/contacts.csv',
  '/directory/a/',
  '/downloads/contacts.csv',
  '/downloads/contacts.xlsx',
  '/downloads/contacts.json',
  '/search/header.0123456789ab.json',
  '/search/contacts.0123456789ab.txt',
  '/export/index.0123456789ab.json',
  '/customers/0d9f3c1e-8d7b-4c5e-9a51-2f0c8b7e6d41/contacts.vcf',
  '/_astro/Base.CkrDq5Pp.css',
  '/_astro/SearchPanel.astro_astro_type_script_index_0_lang.BdUBf_B7.js',
];
