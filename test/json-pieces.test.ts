import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { jsonPieces } from '../src/pipeline/reports/json-pieces.ts';

const joined = (value: unknown) => [...jsonPieces(value)].join('');

describe('jsonPieces', () => {
  test('writes what JSON.stringify(value, null, 1) writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(joined(value)).toBe(JSON.stringify(value, null, 1));
      }),
      { numRuns: 2000 },
    );
  });

  test('leaves out what JSON.stringify leaves out, and writes null where it does', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true }), (value) => {
        let expected: string | undefined;
        try {
          expected = JSON.stringify(value, null, 1);
        } catch {
          return; // what JSON cannot hold (a BigInt) is not asked of it
        }
        if (expected !== undefined) expect(joined(value)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    const value = { a: undefined, b: () => 1, c: [undefined, () => 1, Number.NaN], d: {}, e: [] };
    expect(joined(value)).toBe(JSON.stringify(value, null, 1));
  });

  test('makes a large report one element at a time', () => {
    const report = { totals: { changed: 3 }, contacts: { changed: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] } };
    const pieces = [...jsonPieces(report)];
    expect(pieces.filter((piece) => piece.includes('"id"'))).toHaveLength(3);
    expect(pieces.join('')).toBe(JSON.stringify(report, null, 1));
  });
});
