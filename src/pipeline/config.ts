/**
 * Configuration of a fetch run, read once from the environment and the command line by the entry point
 * and passed down as one typed object. Every problem becomes one `ConfigError` sentence.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../shared/errors.ts';
import { IdSchema } from '../shared/schema.ts';

export const DEFAULT_API_URL = 'https://qwoty.app/api';

/** A share such as `0.1` or `10%`, between 0 and 1. */
const ShareSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    return text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  },
  z.number({ error: 'expected a number such as 0.1 or 10%' }).min(0).max(1),
);

const whole = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const FlagSchema = z
  .union([z.boolean(), z.string()])
  .transform((value) => value === true || (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)));

export const FetchConfigSchema = z.object({
  /** The API token. Required, never printed, never written anywhere. */
  token: z
    .string({ error: 'QWOTY_API_TOKEN is not set' })
    .trim()
    .min(1, { error: 'QWOTY_API_TOKEN is empty' })
    .refine((token) => !/\s/.test(token), { error: 'QWOTY_API_TOKEN contains white space' }),
  /** Base URL of the API, without a trailing slash. */
  apiUrl: z
    .url({
      protocol: /^https?$/,
      error: 'QWOTY_API_URL must be an http(s) URL such as https://qwoty.app/api',
    })
    .refine((url) => !new URL(url).username && !new URL(url).password, {
      error: 'QWOTY_API_URL must not carry credentials; put the token in QWOTY_API_TOKEN',
    })
    .transform((url) => url.replace(/\/+$/, '')),
  /** Where snapshots are published. */
  dataDir: z.string().trim().min(1),
  /** Limit the run to one customer. */
  customerId: IdSchema.nullable(),
  /** Fail when more than this share of contact records is invalid. */
  maxInvalidShare: ShareSchema,
  /** Fail on any invalid record. */
  strict: z.boolean(),
  /** Allow publishing an empty snapshot, or one with less than half the previous contacts. */
  allowShrink: z.boolean(),
  /** Parallel customer look-ups, at most: the rate limit may allow fewer. */
  concurrency: whole(1, 64),
  /** Per-request timeout, including reading the body. */
  timeoutMs: whole(1_000, 3_600_000),
  /** Retries per request after the first attempt. */
  retries: whole(0, 20),
  /** The whole run's deadline. */
  deadlineMs: whole(1_000, 24 * 3_600_000),
  /** A customer whose details were last read longer ago than this is a quality finding. */
  customerMaxAgeDays: z.coerce.number().min(0).max(3_650),
  /** Marks the snapshot as demo data (set by `npm run demo`); the site shows a banner. */
  demo: z.boolean(),
});
export type FetchConfig = z.output<typeof FetchConfigSchema>;

export const FETCH_USAGE = `Usage: npm run fetch -- [options]

Pulls every contact of the workspace from the Qwoty API, validates it and publishes
contacts.json, contacts.csv, contacts.xlsx and manifest.json into the data folder.

Options (each has an environment variable; flags win):
  --customer <uuid>      only this customer's contacts          QWOTY_CUSTOMER_ID
  --data-dir <path>      where to publish (default: data)       QWOTY_DATA_DIR
  --max-invalid <share>  fail above this share of invalid
                         contacts, e.g. 0.1 or 10% (default)    QWOTY_MAX_INVALID
  --strict               fail on any invalid record             QWOTY_STRICT=1
  --allow-shrink         publish even if the snapshot is empty
                         or lost more than half its contacts    QWOTY_ALLOW_SHRINK=1
  --concurrency <n>      parallel customer look-ups (8)         QWOTY_CONCURRENCY
  --timeout <seconds>    per request, body included (120)       QWOTY_TIMEOUT_SECONDS
  --retries <n>          retries per request (6)                QWOTY_RETRIES
  --deadline <minutes>   for the whole run (30)                 QWOTY_DEADLINE_MINUTES
  --customer-max-age <days>
                         flag a customer whose details were not
                         read again for longer than this (7)    QWOTY_CUSTOMER_MAX_AGE_DAYS
  --quiet                only warnings and the final line
  -h, --help             show this help

Required: QWOTY_API_TOKEN. Optional: QWOTY_API_URL (default ${DEFAULT_API_URL}).
Exit codes: 0 published, 2 bad configuration, 3 token refused, 4 API unavailable,
5 data rejected (validation or publish guard), 6 local files unreadable/unwritable, 1 bug.`;

/** What the command line asked for: help, or a run with this configuration. */
export type ParsedCommandLine = { help: true } | { help: false; config: FetchConfig; quiet: boolean };

/**
 * Reads the fetch configuration from `env` and `argv` (flags win). Throws `ConfigError` with one sentence
 * naming the setting and what to do.
 */
export function parseFetchConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): ParsedCommandLine {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    values = parseFlags(argv).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see \`npm run fetch -- --help\`.`, { cause: error });
  }
  const pick = <T extends string | boolean>(flag: T | undefined, name: string) => flag ?? nonEmpty(env[name]);
  const raw = {
    token: env.QWOTY_API_TOKEN,
    apiUrl: nonEmpty(env.QWOTY_API_URL) ?? DEFAULT_API_URL,
    dataDir: pick(values['data-dir'], 'QWOTY_DATA_DIR') ?? 'data',
    customerId: pick(values.customer, 'QWOTY_CUSTOMER_ID') ?? null,
    maxInvalidShare: pick(values['max-invalid'], 'QWOTY_MAX_INVALID') ?? 0.1,
    strict: FlagSchema.parse(pick(values.strict, 'QWOTY_STRICT') ?? false),
    allowShrink: FlagSchema.parse(pick(values['allow-shrink'], 'QWOTY_ALLOW_SHRINK') ?? false),
    concurrency: pick(values.concurrency, 'QWOTY_CONCURRENCY') ?? 8,
    timeoutMs: seconds(pick(values.timeout, 'QWOTY_TIMEOUT_SECONDS') ?? '120', 1_000),
    retries: pick(values.retries, 'QWOTY_RETRIES') ?? 6,
    deadlineMs: seconds(pick(values.deadline, 'QWOTY_DEADLINE_MINUTES') ?? '30', 60_000),
    customerMaxAgeDays: pick(values['customer-max-age'], 'QWOTY_CUSTOMER_MAX_AGE_DAYS') ?? 7,
    demo: FlagSchema.parse(nonEmpty(env.QWOTY_DEMO) ?? false),
  };
  if (values.help === true) return { help: true };
  const parsed = FetchConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    const setting = SETTING_NAMES[key] ?? key;
    const message = issue?.message ?? 'invalid';
    throw new ConfigError(
      message.includes('QWOTY_')
        ? `${message}; see .env.example or \`npm run fetch -- --help\`.`
        : `${setting} is invalid (${message}); see \`npm run fetch -- --help\`.`,
    );
  }
  return { help: false, config: parsed.data, quiet: values.quiet === true };
}

const SETTING_NAMES: Record<string, string> = {
  dataDir: 'QWOTY_DATA_DIR (--data-dir)',
  customerId: 'QWOTY_CUSTOMER_ID (--customer)',
  maxInvalidShare: 'QWOTY_MAX_INVALID (--max-invalid)',
  concurrency: 'QWOTY_CONCURRENCY (--concurrency)',
  timeoutMs: 'QWOTY_TIMEOUT_SECONDS (--timeout)',
  retries: 'QWOTY_RETRIES (--retries)',
  deadlineMs: 'QWOTY_DEADLINE_MINUTES (--deadline)',
  customerMaxAgeDays: 'QWOTY_CUSTOMER_MAX_AGE_DAYS (--customer-max-age)',
};

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      customer: { type: 'string' },
      'data-dir': { type: 'string' },
      'max-invalid': { type: 'string' },
      strict: { type: 'boolean' },
      'allow-shrink': { type: 'boolean' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      retries: { type: 'string' },
      deadline: { type: 'string' },
      'customer-max-age': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value : undefined;
}

/** "90" (in `unit` ms) to milliseconds; anything else is left for the schema to reject. */
function seconds(value: string, unit: number): number | string {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? Math.round(number * unit) : value;
}
