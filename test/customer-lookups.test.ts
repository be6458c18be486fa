/**
 * The assembly of the customer look-ups and the wording of their trouble, apart from the requests (those are
 * tested end to end against the embedded API in run-fetch.test.ts and freshness.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { assembleCustomers, LookupOutcomes, lookupWarnings } from '../src/pipeline/customer-lookups.ts';
import type { PreviousCustomer, PreviousCustomers } from '../src/pipeline/freshness.ts';
import { bareCustomer } from '../src/pipeline/snapshot.ts';
import { ApiError } from '../src/shared/errors.ts';
import { fixtureId } from '../src/testing/records.ts';

/** Customer ids: the API's are UUIDs (`fixtureId`, the fixtures' one id helper). */
const READ = fixtureId(1);
const OTHER = fixtureId(2);
const SOMEONE_ELSE = fixtureId(3);
const LATE = fixtureId(4);
const NEVER = fixtureId(5);
const FAILING = fixtureId(6);
const GONE = fixtureId(7);
const PRIVATE = fixtureId(8);
const KEPT = fixtureId(9);
const DROPPED_TOO = fixtureId(10);
const DROPPED = fixtureId(11);
const A = fixtureId(12);
const B = fixtureId(13);

const NOW = () => new Date('2026-12-07T02:00:00.000Z');

function earlier(id: string, name: string | null, fetchedAt: string | null): PreviousCustomer {
  return { customer: { ...bareCustomer({ id, name, type: 'company' }), contact_count: 1 }, fetchedAt };
}

function unavailable(id: string): ApiError {
  return new ApiError(`GET /customers/${id} failed: 503 Service Unavailable`, {
    status: 503,
    method: 'GET',
    url: `http://127.0.0.1/customers/${id}`,
    retryable: true,
  });
}

describe('assembleCustomers', () => {
  test('publishes those read tonight, keeps an earlier record for those not read, and counts each trouble', () => {
    const outcomes = new LookupOutcomes();
    outcomes.answer(READ, { id: READ, name: 'Read Tonight' }, NOW);
    outcomes.answer(OTHER, { id: SOMEONE_ELSE, name: 'Wrong' }, NOW);
    outcomes.skipped.add(LATE).add(NEVER);
    outcomes.failed.set(FAILING, unavailable(FAILING));
    outcomes.missing.add(GONE);
    outcomes.forbidden.add(PRIVATE);
    outcomes.answered += 1; // the 404
    const previous: PreviousCustomers = new Map([
      [LATE, earlier(LATE, 'Read Before', '2026-11-20T02:00:00.000Z')],
      [NEVER, earlier(NEVER, null, null)],
      [FAILING, earlier(FAILING, 'Failing Now', '2026-12-01T02:00:00.000Z')],
    ]);
    const ids = new Set([READ, OTHER, LATE, NEVER, FAILING, GONE, PRIVATE]);

    const result = assembleCustomers(ids, outcomes, previous);

    expect([...result.customers.keys()]).toEqual([READ, LATE, FAILING]);
    expect(result.customers.get(LATE)?.name).toBe('Read Before');
    expect(Object.fromEntries(result.fetchedAt)).toEqual({
      [READ]: '2026-12-07T02:00:00.000Z',
      [LATE]: '2026-11-20T02:00:00.000Z',
      [FAILING]: '2026-12-01T02:00:00.000Z',
    });
    expect(result.rejects.map((reject) => reject.id)).toEqual([SOMEONE_ELSE]);
    expect(Object.fromEntries(result.unreadable)).toEqual({
      [GONE]: 'not found (404): deleted in Qwoty?',
      [OTHER]: 'its record was set aside (see rejects.json)',
      [PRIVATE]: 'the token may not read this customer (403)',
    });
    expect(result.trouble).toEqual({
      forbiddenEverywhere: false,
      notLookedUp: { count: 2, kept: 1, oldest: '2026-11-20T02:00:00.000Z' },
      failing: {
        count: 1,
        kept: 1,
        oldest: '2026-12-01T02:00:00.000Z',
        reason: `GET /customers/${FAILING} failed: 503 Service Unavailable`,
      },
      notFound: 1,
      refused: 1,
      invalid: 1,
    });
  });

  test('leaves out what the final contact list no longer references', () => {
    const outcomes = new LookupOutcomes();
    outcomes.answer(KEPT, { id: KEPT, name: 'Kept' }, NOW);
    outcomes.answer(DROPPED, { id: DROPPED }, NOW);
    outcomes.missing.add(DROPPED_TOO);
    const result = assembleCustomers(new Set([KEPT]), outcomes, null);
    expect([...result.customers.keys()]).toEqual([KEPT]);
    expect(result.trouble).toMatchObject({ notLookedUp: null, failing: null, notFound: 0, invalid: 0 });
  });

  test('shows every customer by id when every look-up was refused (403)', () => {
    const outcomes = new LookupOutcomes();
    outcomes.forbidden.add(A).add(B);
    const result = assembleCustomers(new Set([A, B]), outcomes, null);
    expect(result.customers.size).toBe(0);
    expect([...result.unreadable.values()]).toEqual([
      'the token may not read customers (403)',
      'the token may not read customers (403)',
    ]);
    expect(result.trouble.forbiddenEverywhere).toBe(true);
  });

  test('fails with the first failure when look-ups kept failing and not one went through', () => {
    const outcomes = new LookupOutcomes();
    const failure = unavailable(A);
    outcomes.failed.set(A, failure).set(B, unavailable(B));
    expect(() => assembleCustomers(new Set([A, B]), outcomes, null)).toThrow(failure);
  });
});

describe('lookupWarnings', () => {
  test('words one warning per kind of trouble, in a fixed order', () => {
    expect(
      lookupWarnings({
        forbiddenEverywhere: false,
        notLookedUp: { count: 3, kept: 2, oldest: '2026-11-20T02:00:00.000Z' },
        failing: { count: 1, kept: 0, oldest: null, reason: '503 Service Unavailable' },
        notFound: 4,
        refused: 5,
        invalid: 6,
      }),
    ).toEqual([
      "3 customer look-up(s) could not be made before this run's cut-off at the pace the API allows: 2 keep the details read on an earlier night (the oldest on 2026-11-20), 1 had never been read and are shown by ID; they are looked up first on the next night.",
      '1 customer look-up(s) kept failing (503 Service Unavailable): 1 had never been read and are shown by ID.',
      '4 customer(s) referenced by contacts were not found (404); they are shown by ID.',
      '5 customer(s) could not be read (403, no permission on them); they are shown by ID.',
      '6 customer record(s) failed validation; they are shown by ID (see rejects.json).',
    ]);
  });

  test('says only that the token may not read customers when every look-up was refused', () => {
    const outcomes = new LookupOutcomes();
    outcomes.forbidden.add(A);
    const result = assembleCustomers(new Set([A]), outcomes, null);
    expect(lookupWarnings(result.trouble)).toEqual([
      'The token may not read customers (403): contacts are grouped by customer ID instead of name.',
    ]);
  });

  test('says nothing when every customer was read', () => {
    const outcomes = new LookupOutcomes();
    outcomes.answer(A, { id: A, name: 'A' }, NOW);
    expect(lookupWarnings(assembleCustomers(new Set([A]), outcomes, null).trouble)).toEqual([]);
  });
});
