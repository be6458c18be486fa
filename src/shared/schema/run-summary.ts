import { z } from 'zod';
import { SnapshotCountsSchema, SnapshotSourceSchema } from './published.ts';
import { ChangesReportSchema, FreshnessSchema, QualityReportSchema } from './reports.ts';

/**
 * `run-summary.json`, beside the snapshot: how the last nightly run went, for monitoring. It is kept and
 * shown in clear (a CI artifact, a job summary): customers are named by id only.
 */
export const RunSummarySchema = z.object({
  schema_version: z.literal(1),
  /** `<start, UTC, to the second>-<pid>`, e.g. `20261207T021700Z-4242`; null in summaries from before it. */
  run_id: z.string().nullable().default(null),
  /** `running` from the start of a run until it ends: a `running` summary found by the next run was killed. */
  status: z.enum(['running', 'ok', 'failed']),
  exit_code: z.number().int().nullable(),
  /** The one-sentence reason when the run failed. */
  error: z.string().nullable(),
  /** The run before this one, when it never finished (killed, or its machine stopped). */
  interrupted_run: z.string().nullable().default(null),
  started_at: z.iso.datetime(),
  /** Null while the run goes on. */
  finished_at: z.iso.datetime().nullable(),
  /** Milliseconds per phase: contacts, addresses, customers, publish, build, total. */
  durations_ms: z.record(z.string(), z.number().nonnegative()),
  source: SnapshotSourceSchema.nullable(),
  counts: SnapshotCountsSchema.nullable(),
  requests: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  /** Answers that were 429 Too Many Requests. */
  throttled: z.number().int().nonnegative().default(0),
  /** Wall-clock time requests were held back by the API's rate limit. */
  waited_ms: z.number().nonnegative().default(0),
  /** How fresh the customers are: read tonight, kept from an earlier night (and the oldest, by id), unnamed. */
  freshness: FreshnessSchema.extend({
    oldest: z.object({ id: z.string(), fetched_at: z.iso.datetime() }).nullable(),
  })
    .nullable()
    .default(null),
  warnings: z.string().array(),
  changes: ChangesReportSchema.shape.totals.nullable(),
  quality: QualityReportSchema.shape.totals.nullable(),
  /** Where the live snapshot and site are. */
  snapshot_dir: z.string().nullable(),
  site_dir: z.string().nullable(),
});
export type RunSummary = z.output<typeof RunSummarySchema>;
