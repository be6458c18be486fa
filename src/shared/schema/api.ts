/**
 * What the Qwoty API answers: its envelopes and its records, parsed once, here, when they arrive, and what
 * validation sets aside (rejects) or mends (normalised fields).
 *
 * Everything downstream (exporters, the site, the reports) uses the output types of the schemas under
 * `src/shared/schema/` and never re-validates or casts. Values the docs don't list (a new role, a new customer
 * type) are kept as text rather than rejecting the record. A contact keeps only the fields the docs list: what
 * we publish is what we document, and a field the API adds by surprise (the demo sends a `locale`) never
 * reaches the downloads. A record set aside stays whole in `rejects.json`, in the data folder only, so that it
 * can be fixed at the source.
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

/** A contact's documented fields: `ContactSchema` reads them, and a published contact starts from them. */
export const contactShape = {
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
export const CustomPropertiesSchema = z.record(z.string(), z.unknown());

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
