/**
 * Configuration of a fetch run, read once from the environment and the command line by the entry point
 * and passed down as one typed object. Every problem becomes one `ConfigError` sentence.
 */
import { z } from 'zod';
import {
  defineCommand,
  durationSchema,
  formatUsage,
  parseCommand,
  type Settings,
  shareSchema,
  switchSchema,
  textSchema,
  type Values,
  wholeSchema,
} from '../shared/command.ts';
import type { ExitCodeUse } from '../shared/errors.ts';
import { SITE_LANGS, timeZoneSchema } from '../shared/locale.ts';
import { IdSchema } from '../shared/schema/api.ts';
import { isLoopback, withoutTrailingSlashes } from './api-url.ts';
import { DEFAULT_PHONE_COUNTRY, isPhoneCountry } from './phone.ts';

export const DEFAULT_API_URL = 'https://qwoty.app/api';

/** Every setting of a fetch run: the one place a flag, a variable, a default and a help line are written. */
export const FETCH_SETTINGS = {
  token: {
    env: 'QWOTY_API_TOKEN',
    type: 'string',
    keepBlank: true,
    defaultLabel: '(required)',
    help: 'the API token; never printed',
    schema: z
      .string({ error: 'QWOTY_API_TOKEN is not set' })
      .trim()
      .min(1, { error: 'QWOTY_API_TOKEN is empty' })
      .refine((token) => !/\s/.test(token), { error: 'QWOTY_API_TOKEN contains white space' }),
  },
  apiUrl: {
    env: 'QWOTY_API_URL',
    type: 'string',
    default: DEFAULT_API_URL,
    help: "the API's base URL: `https://`, or `http://` only to a loopback address (`127.0.0.1`, `localhost`, `[::1]`), so the token never crosses a network in clear text",
    schema: z
      .url({
        protocol: /^https?$/,
        error: 'QWOTY_API_URL must be an http(s) URL such as https://qwoty.app/api',
      })
      .refine((url) => !new URL(url).username && !new URL(url).password, {
        error: 'QWOTY_API_URL must not carry credentials; put the token in QWOTY_API_TOKEN',
      })
      .refine((url) => new URL(url).protocol === 'https:' || isLoopback(new URL(url)), {
        error:
          'QWOTY_API_URL must use https:// (plain http:// only for a loopback address such as 127.0.0.1), so the token never crosses a network in clear text',
      })
      .transform(withoutTrailingSlashes),
  },
  dataDir: {
    flag: 'data-dir',
    env: 'QWOTY_DATA_DIR',
    type: 'string',
    placeholder: '<path>',
    default: 'data',
    help: 'where snapshots are published',
    schema: textSchema,
  },
  keepNights: {
    env: 'QWOTY_KEEP_NIGHTS',
    type: 'string',
    default: '7',
    help: 'nights kept, each a snapshot and the site built from it, for `npm run rollback`; the live night and the one it replaced are always kept too',
    schema: wholeSchema(1, 366),
  },
  customerId: {
    flag: 'customer',
    env: 'QWOTY_CUSTOMER_ID',
    type: 'string',
    placeholder: '<uuid>',
    defaultLabel: '(all)',
    help: "only this customer's contacts",
    schema: IdSchema.optional().transform((id) => id ?? null),
  },
  maxInvalidShare: {
    flag: 'max-invalid',
    env: 'QWOTY_MAX_INVALID',
    type: 'string',
    placeholder: '<share>',
    default: '10%',
    help: 'fail when more than this share of contacts is invalid (`0.1` or `10%`)',
    schema: shareSchema,
  },
  strict: {
    flag: 'strict',
    env: 'QWOTY_STRICT',
    type: 'boolean',
    defaultLabel: 'off',
    help: 'fail on any invalid record',
    schema: switchSchema,
  },
  allowShrink: {
    flag: 'allow-shrink',
    env: 'QWOTY_ALLOW_SHRINK',
    type: 'boolean',
    defaultLabel: 'off',
    help: 'publish even an empty snapshot, or one with less than half the previous contacts',
    schema: switchSchema,
  },
  concurrency: {
    flag: 'concurrency',
    env: 'QWOTY_CONCURRENCY',
    type: 'string',
    placeholder: '<n>',
    default: '8',
    help: 'parallel customer look-ups (the API has no customer list)',
    schema: wholeSchema(1, 64),
  },
  timeoutMs: {
    flag: 'timeout',
    env: 'QWOTY_TIMEOUT_SECONDS',
    type: 'string',
    placeholder: '<seconds>',
    default: '120',
    help: 'per request, reading the body included',
    schema: durationSchema('seconds', 1, 3_600),
  },
  retries: {
    flag: 'retries',
    env: 'QWOTY_RETRIES',
    type: 'string',
    placeholder: '<n>',
    default: '6',
    help: 'retries per request',
    schema: wholeSchema(0, 20),
  },
  deadlineMs: {
    flag: 'deadline',
    env: 'QWOTY_DEADLINE_MINUTES',
    type: 'string',
    placeholder: '<minutes>',
    default: '30',
    help: 'for the whole run; customer look-ups stop a tenth of it earlier (at least 5 s, at most 5 min) to leave time to publish',
    schema: durationSchema('minutes', 1 / 60, 24 * 60),
  },
  maxListMb: {
    flag: 'max-list-mb',
    env: 'QWOTY_MAX_LIST_MB',
    type: 'string',
    placeholder: '<n>',
    default: '256',
    help: 'decompressed megabytes of one list (`/contacts`, `/addresses`), all its pages together; more fails the run (exit 5). 100,000 contacts are about 66 MB',
    schema: wholeSchema(1, 65_536),
  },
  maxAnswerKb: {
    flag: 'max-answer-kb',
    env: 'QWOTY_MAX_ANSWER_KB',
    type: 'string',
    placeholder: '<n>',
    default: '1024',
    help: 'decompressed kilobytes of any other answer (one customer, an error page); a customer over it is set aside and shown by its id',
    schema: wholeSchema(1, 1_048_576),
  },
  maxRecordKb: {
    flag: 'max-record-kb',
    env: 'QWOTY_MAX_RECORD_KB',
    type: 'string',
    placeholder: '<n>',
    default: '1024',
    help: 'kilobytes of one record of a list (a contact is about 0.7 kB); a larger one is set aside without its value',
    schema: wholeSchema(1, 1_048_576),
  },
  maxDepth: {
    flag: 'max-depth',
    env: 'QWOTY_MAX_DEPTH',
    type: 'string',
    placeholder: '<n>',
    default: '32',
    help: 'nesting depth of any value (a record is level 1, its role list level 2); a deeper record is set aside without its value',
    schema: wholeSchema(2, 1_000),
  },
  customerMaxAgeDays: {
    flag: 'customer-max-age',
    env: 'QWOTY_CUSTOMER_MAX_AGE_DAYS',
    type: 'string',
    placeholder: '<days>',
    default: '7',
    help: 'a customer whose details were not read again from the API for longer than this is a data-quality finding',
    schema: z.coerce.number({ error: 'expected a number of days' }).min(0).max(3_650),
  },
  defaultCountry: {
    flag: 'default-country',
    env: 'QWOTY_DEFAULT_COUNTRY',
    type: 'string',
    placeholder: '<code>',
    default: DEFAULT_PHONE_COUNTRY,
    help: 'the country of phone numbers written without a country code (ISO 3166-1 alpha-2, such as `FR` or `BE`)',
    schema: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isPhoneCountry, { error: 'QWOTY_DEFAULT_COUNTRY must be a country code such as FR, BE or DE' }),
  },
  lang: {
    env: 'QWOTY_SITE_LANG',
    type: 'string',
    default: 'en',
    help: 'the language of the site and of the XLSX export: `en` or `fr` (the CSV and JSON keep their column names and role codes, which scripts read)',
    schema: z.preprocess(
      (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
      z.enum(SITE_LANGS, { error: `expected one of ${SITE_LANGS.join(', ')}` }),
    ),
  },
  timeZone: {
    env: 'QWOTY_SITE_TIME_ZONE',
    type: 'string',
    placeholder: '<zone>',
    defaultLabel: '`Europe/Paris` in French, `UTC` otherwise',
    help: 'the time zone of the times the site, its feed and the XLSX export show, named next to each (an IANA name such as `Europe/Paris`)',
    schema: timeZoneSchema,
  },
  demo: {
    env: 'QWOTY_DEMO',
    type: 'boolean',
    hidden: true,
    help: 'marks the snapshot as demo data (set by `npm run demo`); the site shows a banner',
    schema: switchSchema,
  },
  quiet: {
    flag: 'quiet',
    type: 'boolean',
    defaultLabel: 'off',
    help: 'only warnings and the final line',
    schema: switchSchema,
  },
} as const satisfies Settings;

/** What a fetch run's exit codes mean; `npm run nightly` ends with these too. */
export const FETCH_EXIT_CODES = {
  ok: 'published',
  config: true,
  auth: true,
  unavailable: true,
  rejected: true,
  io: true,
  unexpected: true,
} as const satisfies ExitCodeUse;

export const FETCH_COMMAND = defineCommand({
  name: 'npm run fetch',
  summary: `Pulls every contact of the workspace from the Qwoty API, validates it and publishes
contacts.json, contacts.csv, contacts.xlsx and manifest.json into the data folder.`,
  settings: FETCH_SETTINGS,
  exitCodes: FETCH_EXIT_CODES,
});

export const FETCH_USAGE = formatUsage(FETCH_COMMAND);

/** The configuration of a fetch run, as the library takes it. */
export type FetchConfig = Omit<Values<typeof FETCH_SETTINGS>, 'quiet'>;

/** What the command line asked for: help, or a run with this configuration. */
export type ParsedCommandLine = { help: true } | { help: false; config: FetchConfig; quiet: boolean };

/** Splits a fetch command's parsed values into the run's configuration and its verbosity. */
export function toFetchConfig(values: Values<typeof FETCH_SETTINGS>): {
  config: FetchConfig;
  quiet: boolean;
} {
  const { quiet, ...rest } = values;
  // A command that adds settings of its own (nightly) passes them too: keep only the fetch's.
  const config = Object.fromEntries(
    Object.keys(FETCH_SETTINGS)
      .filter((key) => key in rest)
      .map((key) => [key, rest[key as keyof typeof rest]]),
  ) as FetchConfig;
  return { config, quiet };
}

/**
 * Reads the fetch configuration from `env` and `argv` (flags win). Throws `ConfigError` with one sentence
 * naming the setting and what to do.
 */
export function parseFetchConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): ParsedCommandLine {
  const parsed = parseCommand(FETCH_COMMAND, env, argv);
  return parsed.help ? { help: true } : { help: false, ...toFetchConfig(parsed.values) };
}
