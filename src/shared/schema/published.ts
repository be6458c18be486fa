/**
 * What a publish writes: `contacts.json` (the snapshot the site and the exports are built from) and
 * `manifest.json` (what was published, and how the run went).
 */
import { z } from 'zod';
import {
  CustomPropertiesSchema,
  contactShape,
  IdSchema,
  ListFactsSchema,
  TaxIdSchema,
  TimestampSchema,
} from './api.ts';

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

/** `manifest.json`: what was published and how the run went. */
export const ManifestSchema = z.object({
  schema_version: z.literal(1),
  tool: z.object({ name: z.string(), version: z.string() }),
  /**
   * The publisher's format (`src/pipeline/snapshot-format.ts`): a loader of the same format trusts the
   * files whose SHA-256 match without parsing them with the schemas again. Absent in older manifests and
   * in hand-made ones, whose files are parsed with the schemas.
   */
  format: z.string().optional(),
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
