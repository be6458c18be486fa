/** The settings of `npm run api` and `npm run demo`, declared once (see `src/shared/command.ts`). */
import { z } from 'zod';
import { defineCommand, type Settings, switchSchema, wholeSchema } from '../shared/command.ts';
import { parseRateLimitSpec, RATE_LIMIT_SPEC_HELP } from './limiters.ts';
import { DEMO_TOKEN } from './server.ts';
import { SCENARIOS } from './shapes.ts';

const seed = {
  flag: 'seed',
  type: 'string',
  placeholder: '<n>',
  default: '1',
  help: 'the generator seed: the same seed gives the same workspace',
  schema: wholeSchema(0, 4_294_967_295),
} as const;

const rateLimit = {
  flag: 'rate-limit',
  type: 'string',
  placeholder: '<limit>',
  defaultLabel: 'none',
  help: `a workspace-level rate limit: ${RATE_LIMIT_SPEC_HELP}`,
  schema: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return undefined;
      try {
        return parseRateLimitSpec(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
} as const;

export const API_COMMAND = defineCommand({
  name: 'npm run api',
  summary: `Serves a generated workspace through the embedded Qwoty-compatible API until Ctrl+C, to try the
client, curl or npm run fetch against it without a real token.`,
  settings: {
    port: {
      flag: 'port',
      type: 'string',
      placeholder: '<n>',
      default: '8787',
      help: 'the port; 0 for a free one',
      schema: wholeSchema(0, 65_535),
    },
    host: {
      flag: 'host',
      type: 'string',
      placeholder: '<address>',
      default: '127.0.0.1',
      help: 'the address to listen on',
      schema: z.string().trim().min(1),
    },
    contacts: {
      flag: 'contacts',
      type: 'string',
      placeholder: '<n>',
      default: '1000',
      help: 'how many contacts to generate',
      schema: wholeSchema(0, 10_000_000),
    },
    seed,
    token: {
      flag: 'token',
      type: 'string',
      placeholder: '<text>',
      default: DEMO_TOKEN,
      help: 'the token the API accepts (not a secret)',
      schema: z.string().trim().min(1, { error: 'expected a non-empty token' }),
    },
    gzip: {
      flag: 'gzip',
      type: 'boolean',
      defaultLabel: 'off',
      help: 'compress answers with gzip',
      schema: switchSchema,
    },
    shape: {
      flag: 'shape',
      type: 'string',
      placeholder: '<name>',
      defaultLabel: 'none',
      help: 'answer in one of the shapes below: legal, but unexpected',
      schema: z
        .string()
        .refine((name) => name in SCENARIOS, {
          error: `expected one of ${Object.keys(SCENARIOS).join(', ')}`,
        })
        .optional(),
    },
    rateLimit,
  } satisfies Settings,
  epilogue: `Shapes (answers that are legal but unexpected, and what a fetch run must do with them):
${Object.entries(SCENARIOS)
  .map(([name, { description }]) => `  ${name.padEnd(24)}${description}`)
  .join('\n')}`,
});

export const DEMO_COMMAND = defineCommand({
  name: 'npm run demo',
  summary: `Runs the whole pipeline with no token and no network: the embedded Qwoty API with generated contacts,
a real fetch into .demo/data, and the site built into .demo/site (then: npm run preview:demo).`,
  settings: {
    contacts: {
      flag: 'contacts',
      type: 'string',
      placeholder: '<n>',
      default: '2000',
      help: 'how many contacts to generate',
      schema: wholeSchema(1, 10_000_000),
    },
    seed,
    rateLimit,
    nextNight: {
      flag: 'next-night',
      type: 'boolean',
      defaultLabel: 'off',
      help: 'the night after the last demo: the same workspace (same --contacts and --seed) with a handful of contacts changed, added and removed, so the change report shows a night a reader recognises',
      schema: switchSchema,
    },
    deadline: {
      flag: 'deadline',
      type: 'string',
      placeholder: '<minutes>',
      defaultLabel: '30',
      help: "the fetch's deadline: with a tight --rate-limit, customers not looked up in time keep the record of the previous demo run",
      schema: z.string().optional(),
    },
  } satisfies Settings,
});
