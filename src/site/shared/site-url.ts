/**
 * The one way to write a URL inside the site, so that it works under any base path (`QWOTY_SITE_BASE`,
 * Astro's `base`): `siteUrl('/customers/42/')` is `/contacts/customers/42/` on a site served at
 * `https://intranet/contacts/`. Pages, build-time modules and browser scripts all call it: Vite writes the base
 * into each of them (`import.meta.env.BASE_URL`); outside Vite (plain Node) the base is `/`.
 */
export function siteUrl(path: string): string {
  // `import.meta.env` whole: Vite replaces it in pages and browser scripts; plain Node has none.
  const env = (import.meta as { env?: { BASE_URL?: string } }).env;
  const base = (env?.BASE_URL ?? '/').replace(/\/?$/, '/');
  return `${base}${path.replace(/^\//, '')}`;
}
