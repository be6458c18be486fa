import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  JsonListLimitError,
  JsonListStream,
  type JsonListStreamOptions,
  JsonListSyntaxError,
  type SetAside,
} from '../src/pipeline/json-list-stream.ts';

/** Feeds `body` in the given chunks and returns what came out, or the error thrown. */
function run(chunks: readonly Uint8Array[]) {
  const items: unknown[] = [];
  const stream = new JsonListStream({
    members: ['success', 'error'],
    onItem: (item, index) => {
      expect(index).toBe(items.length);
      items.push(item);
    },
  });
  for (const chunk of chunks) stream.write(chunk);
  const result = stream.end();
  return { items, ...result, members: Object.fromEntries(result.members) };
}

function splitAt(bytes: Uint8Array, ...cuts: number[]): Uint8Array[] {
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, index) => bytes.subarray(points[index], end));
}

function caught(action: () => unknown): JsonListSyntaxError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(JsonListSyntaxError);
    return error as JsonListSyntaxError;
  }
  throw new Error('expected a JsonListSyntaxError');
}

const HOSTILE = {
  meta: { page: [1, { deep: ['[', ']', '{', '}'] }], note: 'a "quoted" \\ word' },
  data: [
    { id: 'a', name: 'Zoë "Z" Ñúñez', tags: ['x', ['y', { z: '}]' }]], note: 'ends in a backslash \\' },
    { id: 'b', text: 'emoji 😀 and \u0000 \u001f controls, \\" and \\\\" escapes', n: -1.5e3, ok: true },
    'a bare string',
    42,
    null,
    false,
    [],
    {},
    { '': '', '\\': '"' },
  ],
  success: true,
  error: null,
};

describe('JsonListStream', () => {
  const text = JSON.stringify(HOSTILE, null, 1).replace(/\n/g, '\r\n\t');
  const bytes = Buffer.from(text);

  test('hands over every element and the members asked for, whole', () => {
    const result = run([bytes]);
    expect(result.items).toEqual(HOSTILE.data);
    expect(result).toMatchObject({ count: HOSTILE.data.length, notArray: false });
    expect(result.members).toEqual({ success: true, error: null });
  });

  test('gives the same result wherever the body is cut into two chunks', () => {
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(run(splitAt(bytes, cut)).items, `cut at byte ${cut}`).toEqual(HOSTILE.data);
    }
  });

  test('gives the same result one byte at a time, multi-byte characters split included', () => {
    const result = run(Array.from(bytes, (_, index) => bytes.subarray(index, index + 1)));
    expect(result.items).toEqual(HOSTILE.data);
    expect(result.members).toEqual({ success: true, error: null });
  });

  test('gathers values larger than a chunk, and than its first room, across many chunks', () => {
    const big = { text: 'é'.repeat(150_000), list: Array.from({ length: 2_000 }, (_, index) => ({ index })) };
    const body = Buffer.from(JSON.stringify({ success: true, data: [big, 'small', big], error: null }));
    const chunks = Array.from({ length: Math.ceil(body.length / 1_000) }, (_, index) =>
      body.subarray(index * 1_000, (index + 1) * 1_000),
    );
    expect(run(chunks).items).toEqual([big, 'small', big]);
    const notAList = Buffer.from(JSON.stringify({ data: big, success: true }));
    const result = run(
      Array.from({ length: Math.ceil(notAList.length / 999) }, (_, index) =>
        notAList.subarray(index * 999, (index + 1) * 999),
      ),
    );
    expect(result).toMatchObject({ notArray: true, count: 0, members: { success: true } });
  });

  test('ends a bare element at the closing bracket', () => {
    expect(run([Buffer.from('{"data":[1,true],"success":true}')]).items).toEqual([1, true]);
    expect(run(splitAt(Buffer.from('{"data":[-2.5e1]}'), 12)).items).toEqual([-25]);
  });

  test('reads an empty list, and members after data', () => {
    expect(run([Buffer.from('{"data":[],"success":true}')])).toMatchObject({ items: [], count: 0 });
    expect(run([Buffer.from(' { "data" : [ ] } ')]).members).toEqual({});
  });

  test('says when data is not a list, without handing anything over', () => {
    for (const data of ['{"a":[1]}', 'null', '"text"', '7']) {
      const result = run([Buffer.from(`{"success":true,"data":${data}}`)]);
      expect(result, data).toMatchObject({ items: [], notArray: true });
    }
  });

  test('calls every prefix of the body cut short', () => {
    for (let end = 0; end < bytes.length; end += 1) {
      const prefix = bytes.subarray(0, end);
      if (prefix.toString().trim() === text.trim()) continue;
      const error = caught(() => run([prefix]));
      expect(error.cutShort, `prefix of ${end} bytes: ${error.message}`).toBe(true);
    }
  });

  test.each([
    ['a list, not an object', '[1,2]'],
    ['an element that is not JSON', '{"data":[{"a":}]}'],
    ['a bare element that is not JSON', '{"data":[tru]}'],
    ['a comma before the closing bracket', '{"data":[1,]}'],
    ['two elements without a comma', '{"data":[{} {}]}'],
    ['a member name that is not a string', '{data:[]}'],
    ['a missing colon', '{"data" []}'],
    ['a member that is not JSON', '{"success":yes,"data":[]}'],
    ['text after the end', '{"data":[]} <html>'],
    ['a second document', '{"data":[]}{"data":[]}'],
    ['an HTML page', '<!doctype html><title>Bad gateway</title>'],
  ])('rejects %s as malformed, not cut short', (_, body) => {
    const error = caught(() => run([Buffer.from(body)]));
    expect(error.cutShort).toBe(false);
  });

  test('lets an error thrown by onItem through, and stops there', () => {
    const seen: unknown[] = [];
    const stream = new JsonListStream({
      members: [],
      onItem: (item) => {
        seen.push(item);
        if (item === 2) throw new RangeError('stop');
      },
    });
    expect(() => stream.write(Buffer.from('{"data":[1,2,3]}'))).toThrow(RangeError);
    expect(seen).toEqual([1, 2]);
  });
});

/** Feeds `chunks` to a bounded stream; returns the elements and set-aside ones by index, and the members. */
function runBounded(
  chunks: readonly Uint8Array[],
  bounds: Pick<JsonListStreamOptions, 'maxValueBytes' | 'maxDepth'>,
) {
  const items = new Map<number, unknown>();
  const setAside = new Map<number, SetAside>();
  const stream = new JsonListStream({
    onItem: (item, index) => items.set(index, item),
    onSetAside: (index, aside) => setAside.set(index, aside),
    ...bounds,
  });
  for (const chunk of chunks) stream.write(chunk);
  const result = stream.end();
  return { items, setAside, members: Object.fromEntries(result.members), count: result.count };
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) =>
    bytes.subarray(index * size, (index + 1) * size),
  );
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describe('JsonListStream bounds', () => {
  const UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

  test('sets aside an element longer than maxValueBytes, with its id and size, and goes on', () => {
    const big = { id: UUID, note: 'x'.repeat(5_000) };
    const body = Buffer.from(JSON.stringify({ success: true, data: [1, big, { id: 'small' }] }));
    for (const size of [body.length, 7, 1_000]) {
      const { items, setAside, count } = runBounded(chunked(body, size), { maxValueBytes: 1_000 });
      expect(count).toBe(3);
      expect([...items]).toEqual([
        [0, 1],
        [2, { id: 'small' }],
      ]);
      expect(setAside.get(1)).toEqual({ limit: 'size', bytes: JSON.stringify(big).length, id: UUID });
    }
  });

  test('sets aside an element nested deeper than maxDepth, in a known or an unknown field', () => {
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const text = `{"success":true,"data":[{"id":"${UUID}","role":${deep(40)}},{"extra":{"a":${deep(5)}}},{"id":"b"}]}`;
    const { items, setAside } = runBounded(chunked(Buffer.from(text), 9), { maxDepth: 8 });
    expect(setAside.get(0)).toMatchObject({ limit: 'depth', id: UUID });
    expect(items.get(1)).toEqual({ extra: { a: [[[[[]]]]] } });
    expect(items.get(2)).toEqual({ id: 'b' });
  });

  test('keeps no more than the bound of an element that never ends', () => {
    const stream = new JsonListStream({ onItem: () => {}, maxValueBytes: 64 * 1024 });
    stream.write(Buffer.from('{"success":true,"data":[{"id":"a","note":"'));
    const piece = Buffer.alloc(1024 * 1024, 'A');
    const before = process.memoryUsage().arrayBuffers;
    for (let sent = 0; sent < 64; sent += 1) stream.write(piece);
    // 64 MB went through; what is kept stays near the bound (the piece itself aside).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    expect(stream.skipping).toBe('size');
    expect(() => stream.end()).toThrow(JsonListSyntaxError);
  });

  test('ends a skipped string at the right quote, whatever backslashes a chunk boundary splits', () => {
    for (const note of ['a\\', 'b\\\\', '\\"', '\\"x', '"\\"']) {
      const element = { id: UUID, note: `${'y'.repeat(50)}${note}`, after: '"]}' };
      const text = JSON.stringify({ data: [element, { id: 'next' }], success: true });
      const bytes = Buffer.from(text);
      for (let cut = 1; cut < bytes.length; cut += 1) {
        const result = runBounded([bytes.subarray(0, cut), ...chunked(bytes.subarray(cut), 3)], {
          maxValueBytes: 20,
        });
        expect(result.items.get(1), `cut at ${cut} of ${text}`).toEqual({ id: 'next' });
        expect(result.members).toEqual({ success: true });
      }
    }
  });

  test.each([
    ['a member longer than the bound', `{"meta":"${'m'.repeat(100)}","data":[]}`, 'size'],
    [
      'a member nested deeper than the bound',
      `{"meta":${'['.repeat(20)}${']'.repeat(20)},"data":[]}`,
      'depth',
    ],
    ['a member name longer than the bound', `{"${'k'.repeat(100)}":1,"data":[]}`, 'size'],
  ])('throws JsonListLimitError for %s', (_name, text, limit) => {
    const stream = new JsonListStream({ onItem: () => {}, maxValueBytes: 50, maxDepth: 10 });
    let error: unknown;
    try {
      for (const chunk of chunked(Buffer.from(text), 8)) stream.write(chunk);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JsonListLimitError);
    expect((error as JsonListLimitError).limit).toBe(limit);
  });

  test('refuses a second "data" member rather than hand over two lists as one', () => {
    expect(() => run([Buffer.from('{"data":[1],"success":true,"data":[2]}')])).toThrow(
      /"data" appears twice/,
    );
  });
});

describe('JsonListStream against JSON.parse', () => {
  /** Strings heavy in what the scanner must get right: quotes, backslashes, brackets, multi-byte text. */
  const stringUnit = fc.constantFrom('a', '"', '\\', '{', ']', ',', ':', 'é', '😀', '\n', '\u0000');
  const element = fc.jsonValue({ stringUnit, maxDepth: 6 });
  const document = fc.record({
    data: fc.array(element, { maxLength: 12 }),
    others: fc.dictionary(
      fc.string({ unit: stringUnit }).filter((key) => key !== 'data'),
      element,
      { maxKeys: 4 },
    ),
    indent: fc.constantFrom(undefined, 0, 1, '\t', ' \r\n'),
  });
  /** Cut points, as fractions of the body's length. */
  const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 });

  function split(bytes: Uint8Array, fractions: readonly number[]): Uint8Array[] {
    const points = [...new Set(fractions.map((fraction) => Math.floor(fraction * bytes.length)))].sort(
      (a, b) => a - b,
    );
    return [0, ...points].map((start, index) => bytes.subarray(start, points[index] ?? bytes.length));
  }

  test('hands over what JSON.parse reads, wherever the body is cut', () => {
    fc.assert(
      fc.property(document, cuts, ({ data, others, indent }, fractions) => {
        const text = JSON.stringify({ ...others, data }, null, indent);
        const expected = JSON.parse(text) as { data: unknown[] };
        const { data: parsedData, ...parsedMembers } = expected;
        const result = runBounded(split(Buffer.from(text), fractions), {});
        expect([...result.items.values()]).toEqual(parsedData);
        expect(result.members).toEqual(parsedMembers);
      }),
      { numRuns: 400 },
    );
  });

  test('sets aside exactly the elements over the bounds, and hands over the others as JSON.parse reads them', () => {
    fc.assert(
      fc.property(
        document,
        cuts,
        fc.integer({ min: 8, max: 200 }),
        fc.integer({ min: 1, max: 6 }),
        ({ data, others }, fractions, maxValueBytes, maxDepth) => {
          const small = Object.fromEntries(
            Object.entries(others).filter(
              ([key, value]) =>
                Buffer.byteLength(JSON.stringify(key)) <= maxValueBytes &&
                Buffer.byteLength(JSON.stringify(value)) <= maxValueBytes &&
                depthOf(value) <= maxDepth,
            ),
          );
          const text = JSON.stringify({ ...small, data });
          const parsed = (JSON.parse(text) as { data: unknown[] }).data;
          const result = runBounded(split(Buffer.from(text), fractions), { maxValueBytes, maxDepth });
          parsed.forEach((value, index) => {
            const over =
              Buffer.byteLength(JSON.stringify(value)) > maxValueBytes || depthOf(value) > maxDepth;
            if (over) expect(result.setAside.has(index)).toBe(true);
            else expect(result.items.get(index)).toEqual(value);
          });
          expect(result.count).toBe(parsed.length);
        },
      ),
      { numRuns: 400 },
    );
  });
});
