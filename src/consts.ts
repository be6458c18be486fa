/** Site-wide constants of the contacts directory; its words are in `src/site/shared/i18n.ts`. */

/** Search results rendered at most; the count of all matches is always given. */
export const RESULT_LIMIT = 50;

/** Up to this many customers, the home page lists them all; above, it links to one page per letter. */
export const HOME_DIRECTORY_LIMIT = 600;

/**
 * The Content-Security-Policy of every page: only this site's own files, no inline script or style, no
 * request anywhere else. `public/_headers` repeats it (with `frame-ancestors`) for hosts that honour it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * Rows each table of the change and quality pages shows at most; the rest are counted, with a link to the
 * CSV that lists them all, so a change of 100,000 contacts still makes a small page.
 */
export const REPORT_ROW_LIMIT = 500;

/**
 * Rows the quality page lists of each kind, each kind folded: the page reads in one screen, and each kind's
 * "and N more" links the CSV that lists them all.
 */
export const QUALITY_ROW_LIMIT = 50;
