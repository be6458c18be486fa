/** The settings of `npm run bench` and `npm run bench:site`, declared once (see `src/shared/command.ts`). */
import { z } from 'zod';
import { defineCommand, switchSchema, wholeSchema } from '../shared/command.ts';
import { DEFAULT_RATE_LIMIT_SCENARIOS, parseScenarios } from './rate-limits.ts';

const runs = (fallback: string) =>
  ({
    flag: 'runs',
    type: 'string',
    placeholder: '<n>',
    default: fallback,
    help: 'runs of each measure: the median (the fastest for site builds) counts',
    schema: wholeSchema(1, 100),
  }) as const;

const sizesSchema = z.string().transform((text, context) => {
  const sizes = text.split(',').map((size) => Number(size.trim()));
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    context.addIssue({ code: 'custom', message: 'expected positive whole numbers separated by commas' });
    return z.NEVER;
  }
  return sizes;
});

/** `all` or a list of scenarios, checked before anything runs; the text as given, or none. */
const scenariosSchema = z
  .string()
  .optional()
  .transform((text, context) => {
    if (text === undefined) return undefined;
    const scenarios = text === 'all' ? DEFAULT_RATE_LIMIT_SCENARIOS : text;
    try {
      parseScenarios(scenarios);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    return scenarios;
  });

export const BENCH_COMMAND = defineCommand({
  name: 'npm run bench',
  summary: `The pipeline and the site at each size on the embedded API, against bare baselines measured in the
same run (see src/bench/pipeline.ts). Results also go to .bench/bench.json. With --limit, instead, the
fetch under the API's rate limits (src/bench/rate-limits.ts), to .bench/rate-limits.json.`,
  settings: {
    sizes: {
      flag: 'sizes',
      type: 'string',
      placeholder: '<n,n,…>',
      default: '1000,10000,100000',
      help: 'the workspace sizes, in contacts',
      schema: sizesSchema,
    },
    runs: runs('3'),
    latencyMs: {
      flag: 'latency',
      type: 'string',
      placeholder: '<ms>',
      default: '0',
      help: 'added to every API answer',
      schema: wholeSchema(0, 60_000),
    },
    noSite: {
      flag: 'no-site',
      type: 'boolean',
      help: 'measure the pipeline only',
      schema: switchSchema,
    },
    writeReadme: {
      flag: 'write-readme',
      type: 'boolean',
      help: 'replace the table between the bench markers in README.md (with --limit: the rate-limit tables, between their own)',
      schema: switchSchema,
    },
    limit: {
      flag: 'limit',
      type: 'string',
      placeholder: '<scenarios>',
      defaultLabel: 'off',
      help: `the fetch under rate limits instead: all, or some of ${DEFAULT_RATE_LIMIT_SCENARIOS}`,
      schema: scenariosSchema,
    },
    limitContacts: {
      flag: 'limit-contacts',
      type: 'string',
      placeholder: '<n,n,…>',
      default: '2000,10000',
      help: 'the workspace sizes with --limit: 2,000 contacts make 252 requests a night, 10,000 make 1,252',
      schema: sizesSchema,
    },
  },
});

export const BENCH_SITE_COMMAND = defineCommand({
  name: 'npm run bench:site',
  summary: `The directory site at one size: the build against a bare Astro build of as many pages, the
downloads' sizes and search timed in Chromium (see src/bench/site.ts). Results also go to
.bench/site-<contacts>.json.`,
  settings: {
    contacts: {
      flag: 'contacts',
      type: 'string',
      placeholder: '<n>',
      default: '100000',
      help: 'contacts in the fixture snapshot',
      schema: wholeSchema(1, 10_000_000),
    },
    runs: runs('1'),
  },
});
