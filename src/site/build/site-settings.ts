/**
 * The settings of a site build, declared once: `npm run build` parses them from its command line and the
 * environment, `astro.config.mjs` from the environment alone (for `astro dev` and `astro check`), and
 * `npm run nightly` adds them to the fetch's.
 */
import { z } from 'zod';
import { withoutTrailingSlashes } from '../../pipeline/api-url.ts';
import { FETCH_SETTINGS } from '../../pipeline/config.ts';
import {
  defineCommand,
  formatUsage,
  parseCommand,
  type Settings,
  switchSchema,
  textSchema,
  type Values,
} from '../../shared/command.ts';

export const SITE_SETTINGS = {
  // The same folder, the same variable, the same default as the fetch that publishes into it.
  dataDir: FETCH_SETTINGS.dataDir,
  // Sites are pruned as snapshots are: one of each per night.
  keepNights: FETCH_SETTINGS.keepNights,
  siteDir: {
    env: 'QWOTY_SITE_DIR',
    type: 'string',
    default: 'dist',
    help: 'where `npm run build` and `npm run nightly` put the site',
    schema: textSchema,
  },
  siteGroup: {
    env: 'QWOTY_SITE_GROUP',
    type: 'string',
    defaultLabel: '(none: owner only)',
    help: "the web server's group (such as `www-data`): every new site version is given to it, folders `g+rx` and files `g+r`, before it is switched in. The user running the build must be a member. The snapshot and the cache stay owner-only",
    schema: textSchema.optional().transform((group) => group ?? null),
  },
  cacheDir: {
    env: 'QWOTY_SITE_CACHE_DIR',
    type: 'string',
    default: '.cache/astro',
    help: 'the incremental-build cache: pages whose data did not change are copied from the last build (it holds a copy of the site, so personal data: keep it where the snapshot is)',
    schema: textSchema,
  },
  force: {
    flag: 'force',
    env: 'QWOTY_SITE_REBUILD',
    type: 'boolean',
    defaultLabel: 'off',
    help: 'render every page, ignoring the cache (it is refreshed)',
    schema: switchSchema,
  },
  staleAfterHours: {
    env: 'QWOTY_STALE_AFTER_HOURS',
    type: 'string',
    default: '36',
    help: 'after this many hours, the site tells its readers the snapshot is out of date (the nightly may be failing); `0` turns that off. Raise it if the build does not run every day',
    schema: z.preprocess(
      (value) => (typeof value === 'string' ? value.trim() : value),
      z
        .string()
        .regex(/^\d+$/, { error: 'expected a whole number of hours; 0 turns the notice off' })
        .transform(Number),
    ),
  },
  // Read by the fetch too, which writes the XLSX export in the site's language and time zone.
  lang: FETCH_SETTINGS.lang,
  timeZone: FETCH_SETTINGS.timeZone,
  siteUrl: {
    env: 'QWOTY_SITE_URL',
    type: 'string',
    placeholder: '<url>',
    defaultLabel: '(none)',
    help: "the site's public address, base path included (such as `https://contacts.example.com/` or `https://intranet/contacts/`): makes the Atom feed's links and each page's canonical link absolute, which feed readers need",
    schema: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://contacts.example.com/' })
      .optional()
      .transform((url) => (url ? `${withoutTrailingSlashes(url)}/` : null)),
  },
  base: {
    env: 'QWOTY_SITE_BASE',
    type: 'string',
    default: '/',
    help: 'the path the site is served under (`/contacts/` for `https://intranet/contacts/`): every link, script, search, export and download file then starts with it; the files stay at the top of the site folder',
    schema: z.preprocess(
      (value) => (typeof value === 'string' ? `/${value.trim()}/`.replace(/\/{2,}/g, '/') : value),
      z.string().regex(/^\/(?:(?!\.\.?\/)[A-Za-z0-9._~-]+\/)*$/, {
        error:
          'expected a path such as /contacts/, of letters, digits and . _ ~ - only, with no . or .. folder',
      }),
    ),
  },
  verbose: {
    flag: 'verbose',
    type: 'boolean',
    defaultLabel: 'off',
    help: "the site build's whole log: every page Astro writes, instead of one progress line",
    schema: switchSchema,
  },
} as const satisfies Settings;

export type SiteSettings = Values<typeof SITE_SETTINGS>;

export const BUILD_COMMAND = defineCommand({
  name: 'npm run build',
  summary: `Builds the directory site into QWOTY_SITE_DIR from the snapshot in QWOTY_DATA_DIR, with no network
and no token. Pages whose data did not change are reused from the incremental-build cache.`,
  settings: SITE_SETTINGS,
  exitCodes: { ok: 'built', config: true, io: 'no snapshot or a damaged one', unexpected: true },
});

export const BUILD_USAGE = formatUsage(BUILD_COMMAND);

/** The site settings from the environment alone, for tools that have no command line of ours. */
export function siteSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): SiteSettings {
  const parsed = parseCommand(BUILD_COMMAND, env, []);
  if (parsed.help) throw new Error('unreachable: no arguments, no help');
  return parsed.values;
}
