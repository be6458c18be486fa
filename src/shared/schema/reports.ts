/**
 * The reports a publish writes beside the snapshot: `changes.json` (what changed since the previous
 * snapshot), `changes-history.json` (the last nights' change summaries) and `quality.json` (findings a person
 * can act on, and the records validation set aside).
 */
import { z } from 'zod';
import { NormalisedFieldSchema, RejectSchema } from './api.ts';

/** A contact as the reports name it: enough to find it on the site. */
export const ContactRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  customer_id: z.string(),
  customer_name: z.string().nullable(),
});
export type ContactRef = z.output<typeof ContactRefSchema>;

/**
 * A changed field's old and new value as a person reads them: text as it is, a list joined by ", " (addresses
 * by their one-line summary, joined by " | "), at most `CHANGED_VALUE_CHARS` characters; null when empty.
 */
export const ChangedValueSchema = z.object({
  field: z.string(),
  old: z.string().nullable(),
  new: z.string().nullable(),
});
export type ChangedValue = z.output<typeof ChangedValueSchema>;

/** `changes.json`: what changed since the previous snapshot. */
export const ChangesReportSchema = z.object({
  schema_version: z.literal(1),
  generated_at: z.iso.datetime(),
  /**
   * When the snapshot compared against was taken; null on a first run, where the totals count everything as
   * added and the lists are empty.
   */
  previous_generated_at: z.iso.datetime().nullable(),
  totals: z.object({
    added: z.number().int().nonnegative(),
    removed: z.number().int().nonnegative(),
    changed: z.number().int().nonnegative(),
    unchanged: z.number().int().nonnegative(),
    customers_added: z.number().int().nonnegative(),
    customers_removed: z.number().int().nonnegative(),
  }),
  contacts: z.object({
    added: ContactRefSchema.array(),
    removed: ContactRefSchema.array(),
    /**
     * With the names of the fields whose value differs, and each one's old and new value as text (absent in
     * reports from before the values were kept).
     */
    changed: ContactRefSchema.extend({
      fields: z.string().array().min(1),
      values: ChangedValueSchema.array().optional(),
    }).array(),
  }),
  customers: z.object({
    added: z.object({ id: z.string(), name: z.string().nullable() }).array(),
    removed: z.object({ id: z.string(), name: z.string().nullable() }).array(),
  }),
});
export type ChangesReport = z.output<typeof ChangesReportSchema>;

/** A customer a night's change summary names: its id, its name as recorded (null when unreadable), and its counts. */
export const NightCustomerSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  /** Its contacts added, removed and changed that night. */
  added: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
});
export type NightCustomer = z.output<typeof NightCustomerSchema>;

/**
 * One night's change summary in the history: the totals of its `changes.json` and the customers concerned,
 * by name, with counts. No contact appears in it, by name or otherwise.
 */
export const ChangesNightSchema = z.object({
  generated_at: z.iso.datetime(),
  /** Null on a first run, where the totals count everything as added. */
  previous_generated_at: z.iso.datetime().nullable(),
  totals: ChangesReportSchema.shape.totals,
  /**
   * Customers whose contacts were added, removed or changed, most changes first, at most
   * `HISTORY_CUSTOMER_LIMIT`; `customers_changed` counts them all.
   */
  customers: NightCustomerSchema.array(),
  customers_changed: z.number().int().nonnegative(),
  customers_added: ChangesReportSchema.shape.customers.shape.added,
  customers_removed: ChangesReportSchema.shape.customers.shape.removed,
});
export type ChangesNight = z.output<typeof ChangesNightSchema>;

/** `changes-history.json`: the change summaries of the last nights, newest first, carried by each publish. */
export const ChangesHistorySchema = z.object({
  schema_version: z.literal(1),
  nights: ChangesNightSchema.array(),
});
export type ChangesHistory = z.output<typeof ChangesHistorySchema>;

/** The kinds of data-quality finding, in the order the reports list them. */
export const QUALITY_KINDS = [
  'missing_email',
  'missing_phone',
  'missing_email_and_phone',
  'malformed_email',
  'malformed_phone',
  'duplicate_email',
  'unnamed_customer',
  'stale_customer',
] as const;
export const QualityKindSchema = z.enum(QUALITY_KINDS);
export type QualityKind = z.output<typeof QualityKindSchema>;

const Count = z.number().int().nonnegative();

/** How fresh a snapshot's customers are (see `freshness.ts`). */
export const FreshnessSchema = z.object({
  /** Customers whose record was read from the API on the night the snapshot was taken. */
  refreshed: Count,
  /** Customers that kept the record of an earlier night: not read in time, or their look-up kept failing. */
  reused: Count,
  /** Customers without a name: never read (a first night under a quota), not found, or not readable. */
  unnamed: Count,
  /** The reused record read longest ago. */
  oldest: z.object({ id: z.string(), name: z.string().nullable(), fetched_at: z.iso.datetime() }).nullable(),
});

/** `quality.json`: findings a person can act on in Qwoty, and the records validation set aside. */
export const QualityReportSchema = z.object({
  schema_version: z.literal(1),
  generated_at: z.iso.datetime(),
  totals: z.object({
    contacts: Count,
    missing_email: Count,
    missing_phone: Count,
    missing_email_and_phone: Count,
    malformed_email: Count,
    malformed_phone: Count,
    duplicate_email: Count,
    unnamed_customer: Count,
    /** Contacts whose customer was last read from the API longer ago than QWOTY_CUSTOMER_MAX_AGE_DAYS. */
    stale_customer: Count.default(0),
    rejected: Count,
    /** Fields published empty or mapped from an alternate shape; absent in older reports. */
    normalised: Count.default(0),
  }),
  /** Null in reports from before this field. */
  freshness: FreshnessSchema.nullable().default(null),
  findings: ContactRefSchema.extend({ kind: QualityKindSchema, detail: z.string() }).array(),
  /** The rejects' reasons, without the raw records (those stay in rejects.json). */
  rejected: RejectSchema.omit({ record: true }).array(),
  /** Fields of published records that did not have the documented shape, and what was done with each. */
  normalised: NormalisedFieldSchema.array().default([]),
});
export type QualityReport = z.output<typeof QualityReportSchema>;
