/**
 * The single source of truth for every shape this project reads or writes.
 *
 * API records are parsed once, here, when they arrive; everything downstream (exporters, the site, the
 * reports) uses the output types below and never re-validates or casts. Values the docs don't list (a new
 * role, a new customer type) are kept as text rather than rejecting the record. A contact keeps only the
 * fields the docs list: what we publish is what we document, and a field the API adds by surprise (the demo
 * sends a `locale`) never reaches the downloads. A record set aside stays whole in `rejects.json`, in the data
 * folder only, so that it can be fixed at the source.
 */
import { z } from 'zod';

/** An identifier the API documents as a UUID. Any 8-4-4-4-12 hex form is accepted (not only RFC 4122 ones). */
export const IdSchema = z.guid({ error: 'expected a UUID' });

/**
 * An ISO 8601 timestamp as the API sends it, with `Z` or an offset (`+01:00`); kept verbatim. Checked by its
 * form, not with `Date.parse`, which accepts impossible dates (`2024-02-30`) and other text after a date.
 */
export const TimestampSchema = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp' });

/** Optional text that the API sends as a string, `null` or not at all; read as `string | null`. */
const OptionalText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);

/** An optional list that may be absent from some responses; read as an array. */
const OptionalIds = IdSchema.array()
  .nullish()
  .transform((value) => value ?? []);

/** The success envelope: `{"success": true, "data": …}`. */
export const SuccessEnvelopeSchema = z.object({ success: z.literal(true), data: z.unknown() });

/** The failure envelope: `{"success": false, "error": "…"}`. */
export const FailureEnvelopeSchema = z.object({ success: z.literal(false), error: z.string().optional() });

/** Roles the docs list. Other values (`decision_maker` appears elsewhere in the API) are kept as they come. */
export const KNOWN_ROLES = ['buyer', 'signer', 'billing', 'shipping', 'legal', 'admin'] as const;

const contactShape = {
  id: IdSchema,
  workspace_id: IdSchema.nullish().transform((value) => value ?? null),
  /** The parent customer; what the site groups by. */
  customer_id: IdSchema,
  first_name: OptionalText,
  last_name: OptionalText,
  email: OptionalText,
  phone: OptionalText,
  /** Roles of the contact; unknown values are kept. */
  role: z
    .string()
    .array()
    .nullish()
    .transform((value) => value ?? []),
  id_crm: OptionalText,
  id_erp: OptionalText,
  id_accounting: OptionalText,
  address_ids: OptionalIds,
  created_at: TimestampSchema.nullish().transform((value) => value ?? null),
  updated_at: TimestampSchema.nullish().transform((value) => value ?? null),
};

/**
 * A contact person of a customer, as `GET /contacts` returns it. A contact needs only a usable identity (`id`
 * and `customer_id`); `normalise.ts` makes any other field that fails here empty rather than lose the record.
 * Fields the docs don't list are dropped here.
 */
export const ContactSchema = z.object(contactShape);
export type Contact = z.output<typeof ContactSchema>;

/** One tax identifier of a customer. */
export const TaxIdSchema = z.object({ tax: z.string(), tax_value: z.string() });

const TaxIdsSchema = TaxIdSchema.array()
  .nullish()
  .transform((value) => value ?? []);

/** Free-form properties some customers carry (not in the customer pages of the docs, shown elsewhere). */
const CustomPropertiesSchema = z.record(z.string(), z.unknown());

const customerShape = {
  id: IdSchema,
  workspace_id: IdSchema.nullish().transform((value) => value ?? null),
  /** The display name; null when the API sent none (the site then shows the id). */
  name: z
    .string()
    .trim()
    .min(1, { error: 'a customer needs a name' })
    .nullish()
    .transform((value) => value ?? null),
  /** `company` or `individual` per the docs; other values are kept. */
  type: OptionalText,
  segment_id: OptionalText,
  /** The logo's URL. */
  logo: OptionalText,
  tax_ids: TaxIdsSchema,
  id_crm: OptionalText,
  id_erp: OptionalText,
  id_accounting: OptionalText,
  contact_ids: OptionalIds,
  address_ids: OptionalIds,
  custom_properties: CustomPropertiesSchema.nullish().transform((value) => value ?? null),
  created_at: TimestampSchema.nullish().transform((value) => value ?? null),
  updated_at: TimestampSchema.nullish().transform((value) => value ?? null),
};

/**
 * A customer (company or individual), as `GET /customers/{id}` returns it. Only its `id` is required;
 * `normalise.ts` makes any other field that fails here empty, so a bad logo never costs the customer its name.
 */
export const CustomerSchema = z.looseObject(customerShape);
export type Customer = z.output<typeof CustomerSchema>;

/** A postal address of a customer, as `GET /addresses` returns it. */
export const AddressSchema = z.looseObject({
  id: IdSchema,
  workspace_id: IdSchema.nullish().transform((value) => value ?? null),
  customer_id: IdSchema,
  /** `billing` or `shipping` per the docs; other values are kept. */
  type: OptionalText,
  /** A label such as "Head office". */
  name: OptionalText,
  address_line1: OptionalText,
  address_line2: OptionalText,
  city: OptionalText,
  state: OptionalText,
  postal_code: OptionalText,
  /** ISO 3166-1 alpha-2, upper-cased when it has that form. */
  country: OptionalText.transform((value) =>
    value && /^[a-z]{2}$/i.test(value) ? value.toUpperCase() : value,
  ),
  contact_id: IdSchema.nullish().transform((value) => value ?? null),
  comment: OptionalText,
  id_crm: OptionalText,
  id_erp: OptionalText,
  id_accounting: OptionalText,
  created_at: TimestampSchema.nullish().transform((value) => value ?? null),
  updated_at: TimestampSchema.nullish().transform((value) => value ?? null),
});
export type Address = z.output<typeof AddressSchema>;

/** Which kind of API record a reject or a warning is about. */
export const EntitySchema = z.enum(['contact', 'customer', 'address']);
export type Entity = z.output<typeof EntitySchema>;

/** A record that failed validation: set aside with its reasons, never silently dropped. */
export const RejectSchema = z.object({
  entity: EntitySchema,
  /** Position in the API response (0-based), or null for records fetched one by one. */
  index: z.number().int().nullable(),
  /** The record's id, when it had a readable one. */
  id: z.string().nullable(),
  issues: z.object({ path: z.string(), message: z.string() }).array().min(1),
  /**
   * The record exactly as the API sent it, so it can be fixed at the source; absent for a record set aside
   * for its size or nesting depth, whose value is never kept.
   */
  record: z.unknown().optional(),
});

/**
 * A field of a published record that did not have the documented shape: mapped from a documented alternate
 * (a role sent as one string), or published empty. The record itself is kept.
 */
export const NormalisedFieldSchema = z.object({
  entity: EntitySchema,
  id: z.string(),
  /** The field's name, e.g. `role`. */
  field: z.string(),
  /** The JSON type of the value sent: string, number, boolean, null, array or object. */
  type: z.string(),
  /** Why it did not validate, or which alternate it was read as. */
  reason: z.string(),
  action: z.enum(['mapped', 'emptied']),
});
export type NormalisedField = z.output<typeof NormalisedFieldSchema>;
export type Reject = z.output<typeof RejectSchema>;

/** What the site and the exports show of an address. */
export const AddressSummarySchema = z.object({
  id: IdSchema,
  type: z.string().nullable(),
  label: z.string().nullable(),
  /** One line: "12 rue de la Paix, 75002 Paris, FR". */
  summary: z.string(),
  /** The street lines (`address_line1`, `address_line2`), joined by ", "; absent in older snapshots. */
  street: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
  postal_code: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
  city: z.string().nullable(),
  /** The state or region (`state`); absent in older snapshots. */
  region: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
  country: z.string().nullable(),
});
export type AddressSummary = z.output<typeof AddressSummarySchema>;

/** A phone number as libphonenumber-js read it at publish (`src/pipeline/phone.ts`). */
export const ParsedPhoneSchema = z.object({
  /** `+33120579457`: the number without its extension. */
  e164: z.string(),
  /** `01 20 57 94 57 ext. 10`. */
  national: z.string(),
  /** `10`, or null. */
  extension: z.string().nullable(),
  /** RFC 3966: `tel:+33120579457;ext=10`. */
  uri: z.string(),
  /** ISO 3166-1 alpha-2 of the number, when the library could tell. */
  country: z.string().nullable(),
});
export type ParsedPhone = z.output<typeof ParsedPhoneSchema>;

/**
 * A contact as published: the fields the API documents plus what the site needs to show it without other
 * lookups, and nothing else.
 */
export const SnapshotContactSchema = z.object({
  ...contactShape,
  /** The customer's display name; null when it could not be read (no permission, not found). */
  customer_name: z.string().nullable(),
  customer_type: z.string().nullable(),
  /** The contact's own addresses (`address_ids`), in that order, as far as they were readable. */
  addresses: AddressSummarySchema.array(),
  /**
   * The phone read once at publish; null when there is none or it could not be read (it is then shown as
   * sent, without a link); absent in snapshots from before this field.
   */
  phone_parsed: ParsedPhoneSchema.nullable().optional(),
});
export type SnapshotContact = z.output<typeof SnapshotContactSchema>;

/** A customer as published: what the directory lists, and the rest of what the API said about it. */
export const SnapshotCustomerSchema = z.object({
  id: IdSchema,
  /** Null when the customer could not be read; the site then shows the id. */
  name: z.string().nullable(),
  type: z.string().nullable(),
  segment_id: z.string().nullable(),
  id_crm: z.string().nullable(),
  id_erp: z.string().nullable(),
  id_accounting: z.string().nullable(),
  tax_ids: TaxIdSchema.array(),
  /** All the customer's addresses known to the snapshot. */
  addresses: AddressSummarySchema.array(),
  contact_count: z.number().int().nonnegative(),
  // The customer's other documented fields, absent when it could not be read (and in older snapshots).
  workspace_id: IdSchema.nullable().optional(),
  logo: z.string().nullable().optional(),
  contact_ids: IdSchema.array().optional(),
  address_ids: IdSchema.array().optional(),
  created_at: TimestampSchema.nullable().optional(),
  updated_at: TimestampSchema.nullable().optional(),
  /** Present when the API sent them. */
  custom_properties: CustomPropertiesSchema.optional(),
  /**
   * When its record was last read from the API. Earlier than the snapshot's `generated_at` when this night
   * could not read it (a rate limit, failing look-ups) and the record of an earlier night was kept; null when
   * it was never read (no name); absent in snapshots from before this field.
   */
  fetched_at: z.iso.datetime().nullable().optional(),
});
export type SnapshotCustomer = z.output<typeof SnapshotCustomerSchema>;

/** A customer known only by what its contacts say (its id, name and type): every other field empty. */
export function bareCustomer(owner: Pick<SnapshotCustomer, 'id' | 'name' | 'type'>): SnapshotCustomer {
  return {
    id: owner.id,
    name: owner.name,
    type: owner.type,
    segment_id: null,
    id_crm: null,
    id_erp: null,
    id_accounting: null,
    tax_ids: [],
    addresses: [],
    contact_count: 0,
  };
}

export const SnapshotCountsSchema = z.object({
  contacts: z.number().int().nonnegative(),
  customers: z.number().int().nonnegative(),
  addresses: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
});
export type SnapshotCounts = z.output<typeof SnapshotCountsSchema>;

/** Where and when a snapshot was taken. Never holds the token. */
export const SnapshotSourceSchema = z.object({
  /** The API's host (and port), e.g. `qwoty.app`. */
  host: z.string(),
  /** The customer the run was limited to, if any. */
  customer_id: IdSchema.nullable(),
  /** True when the data came from the embedded demo API: the site shows a banner. */
  demo: z.boolean(),
});
export type SnapshotSource = z.output<typeof SnapshotSourceSchema>;

/** `contacts.json`: everything the site is built from. Sorted deterministically (see `snapshot.ts`). */
export const SnapshotSchema = z.object({
  schema_version: z.literal(1),
  generated_at: z.iso.datetime(),
  source: SnapshotSourceSchema,
  counts: SnapshotCountsSchema,
  /** Degradations a reader should know about (e.g. customer names unavailable). */
  warnings: z.string().array(),
  customers: SnapshotCustomerSchema.array(),
  contacts: SnapshotContactSchema.array(),
});
export type Snapshot = z.output<typeof SnapshotSchema>;

/** One published file as recorded in the manifest. */
export const ManifestFileSchema = z.object({
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Data rows (contacts, or rejects for `rejects.json`). */
  rows: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  media_type: z.string(),
});
export type ManifestFile = z.output<typeof ManifestFileSchema>;

/** How a list endpoint answered: in how many pages, and what its envelope held besides `success` and `data`. */
export const ListFactsSchema = z.object({
  pages: z.number().int().nonnegative(),
  /**
   * Top-level members other than the documented `success`, `data` and `error` (e.g. `meta`, `links`), by
   * name only: a change in the API's envelope shows here.
   */
  members: z.string().array(),
});
export type ListFacts = z.output<typeof ListFactsSchema>;

/** `manifest.json`: what was published and how the run went. */
export const ManifestSchema = z.object({
  schema_version: z.literal(1),
  tool: z.object({ name: z.string(), version: z.string() }),
  generated_at: z.iso.datetime(),
  source: SnapshotSourceSchema,
  counts: SnapshotCountsSchema,
  run: z.object({
    started_at: z.iso.datetime(),
    duration_ms: z.number().nonnegative(),
    requests: z.number().int().nonnegative(),
    retries: z.number().int().nonnegative(),
    /** Answers that were 429 Too Many Requests (0 in manifests from before this field). */
    throttled: z.number().int().nonnegative().default(0),
    /** Wall-clock time requests were held back by the API's rate limit. */
    waited_ms: z.number().nonnegative().default(0),
    warnings: z.string().array(),
    /** How each list endpoint answered, by path (`/contacts`); absent in older manifests. */
    lists: z.record(z.string(), ListFactsSchema).optional(),
  }),
  files: ManifestFileSchema.array(),
});
export type Manifest = z.output<typeof ManifestSchema>;

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
