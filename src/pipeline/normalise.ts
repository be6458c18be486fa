/**
 * A record is rejected only when the directory cannot use it: when its identity is unusable (no UUID `id`, or
 * a `customer_id` that is not one). Any other field that fails its schema is read as a documented alternate
 * shape when it has one (a role sent as one string, tax ids as `{code, value}`, a logo as `{url, alt}`), or
 * published empty; either way the field, the value's type and the reason are returned for the quality report.
 *
 * The schemas of `shared/schema/` stay the single source of the output types: a record that passes is
 * returned as they parse it, and a normalised one is parsed again after its bad fields were replaced.
 */
import type { z } from 'zod';
import {
  AddressSchema,
  ContactSchema,
  CustomerSchema,
  type Entity,
  type NormalisedField,
  type Reject,
} from '../shared/schema/api.ts';

/** Fields without which a record cannot be placed in the directory. */
const IDENTITY: Record<Entity, ReadonlySet<string>> = {
  contact: new Set(['id', 'customer_id']),
  customer: new Set(['id']),
  address: new Set(['id', 'customer_id']),
};

interface Alternate {
  /** The value in the documented shape, or undefined when this alternate does not apply. */
  read: (value: unknown) => unknown;
  /** What the quality report says was done. */
  reason: string;
}

/** Other shapes the docs show for the same fields (see qwoty-api.md, "Shapes the docs show elsewhere"). */
const ALTERNATES: Record<Entity, Readonly<Record<string, Alternate>>> = {
  contact: {
    role: {
      read: (value) => (typeof value === 'string' ? [value] : undefined),
      reason: 'one role sent as a string, read as a one-element list',
    },
  },
  customer: {
    tax_ids: {
      read: (value) =>
        Array.isArray(value)
          ? value.map(taxIdOf)
          : isObject(value) && 'code' in value
            ? [taxIdOf(value)]
            : undefined,
      reason: 'tax ids sent as {code, value}, read as {tax, tax_value}',
    },
    logo: {
      read: (value) => (isObject(value) && typeof value.url === 'string' ? value.url : undefined),
      reason: 'a logo sent as {url, alt}, read as its url',
    },
  },
  address: {},
};

export type NormaliseResult<T> =
  | { ok: true; record: T; fields: NormalisedField[] }
  | { ok: false; issues: Reject['issues'] };

/**
 * Read one record as the directory publishes it. They fail only on an unusable identity (or a record that is
 * not an object); every other problem becomes a mapped or emptied field.
 */
export const normaliseContact = (raw: unknown) => normaliseRecord('contact', ContactSchema, raw);
export const normaliseCustomer = (raw: unknown) => normaliseRecord('customer', CustomerSchema, raw);
export const normaliseAddress = (raw: unknown) => normaliseRecord('address', AddressSchema, raw);

function normaliseRecord<S extends z.ZodObject>(
  entity: Entity,
  schema: S,
  raw: unknown,
): NormaliseResult<z.output<S>> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, record: parsed.data, fields: [] };
  const issues = parsed.error.issues;
  const fatal = issues.filter(
    (issue) => issue.path.length === 0 || IDENTITY[entity].has(String(issue.path[0])),
  );
  if (fatal.length > 0 || !isObject(raw))
    return { ok: false, issues: formatIssues(fatal.length > 0 ? fatal : issues) };

  // A copy with each failing field replaced; the spread copies an own `__proto__` key as data, not a prototype.
  const repaired: Record<string, unknown> = { ...raw };
  const fields: NormalisedField[] = [];
  const id = String(raw.id);
  const shape: Readonly<Record<string, z.ZodType>> = schema.shape;
  for (const [field, fieldIssues] of Map.groupBy(issues, (issue) => String(issue.path[0]))) {
    const value = raw[field];
    const alternate = ALTERNATES[entity][field];
    const read = alternate?.read(value);
    const note = { entity, id, field, type: jsonType(value) };
    if (alternate && read !== undefined && shape[field]?.safeParse(read).success) {
      repaired[field] = read;
      fields.push({ ...note, reason: alternate.reason, action: 'mapped' });
    } else {
      delete repaired[field];
      fields.push({ ...note, reason: describeIssue(fieldIssues[0]), action: 'emptied' });
    }
  }
  const again = schema.safeParse(repaired);
  // Cannot fail: every field that failed is now absent, and absent is valid for every field but the identity.
  if (!again.success) return { ok: false, issues: formatIssues(again.error.issues) };
  return { ok: true, record: again.data, fields };
}

/** Zod's issues as a reject lists them: a dotted path (`(record)` for the whole record) and the message. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): Reject['issues'] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(record)',
    message: issue.message,
  }));
}

/** The JSON type of a value, as the quality report names it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  const inner = issue.path.slice(1).map(String).join('.');
  return inner ? `${inner}: ${issue.message}` : issue.message;
}

function taxIdOf(value: unknown): unknown {
  if (!isObject(value) || !('code' in value)) return value;
  const { code, value: taxValue, ...rest } = value;
  return { ...rest, tax: code, tax_value: taxValue };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
