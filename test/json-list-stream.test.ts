import { describe, expect, test } from 'vitest';
import { JsonListStream, JsonListSyntaxError } from '../src/pipeline/json-list-stream.ts';

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
