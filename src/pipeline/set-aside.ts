/**
 * How a fetch run sets a record aside, and when it degrades instead of failing: shared by the list reads
 * (`fetch-workspace.ts`) and the customer look-ups (`customer-lookups.ts`).
 */
import { ApiError } from '../shared/errors.ts';
import type { Entity, Reject } from '../shared/schema/api.ts';

/** A record set aside for what it holds: its issues, and the record itself to inspect in rejects.json. */
export function toReject(
  entity: Entity,
  index: number | null,
  record: unknown,
  issues: Reject['issues'],
): Reject {
  const id =
    record && typeof record === 'object' && 'id' in record && typeof record.id === 'string'
      ? record.id
      : null;
  return {
    entity,
    index,
    id,
    issues,
    record,
  };
}

/** A record set aside for its size or depth: its reason, never its value. */
export function withheld(entity: Entity, index: number | null, id: string | null, reason: string): Reject {
  return {
    entity,
    index,
    id,
    issues: [{ path: '(record)', message: `${reason}; set aside without its value` }],
  };
}

/** 403 means this token lacks that permission: degrade. 401 (a bad token) stays fatal. */
export function isForbidden(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 403;
}
