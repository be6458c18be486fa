import { describe, expect, test } from 'vitest';
import { lineSlicesOf } from '../../src/site/client/response-lines.ts';

/** A response whose body arrives in `chunks`, as a network would cut it. */
function responseOf(chunks: readonly Uint8Array[]): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
  );
}

async function collect(response: Response, size = 8): Promise<string[]> {
  const lines: string[] = [];
  for await (const slice of lineSlicesOf(response, size)) {
    expect(slice.endsWith('\n'), JSON.stringify(slice)).toBe(true);
    lines.push(...slice.slice(0, -1).split('\n'));
  }
  return lines;
}

describe('lineSlicesOf', () => {
  const text = 'Zoë\tÑúñez\nsecond line\n\nthird 日本\nlast without newline';
  const expected = ['Zoë\tÑúñez', 'second line', 'third 日本', 'last without newline'];

  test('gives every non-empty line once, whatever byte the body is cut at, inside a character too', async () => {
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines = await collect(responseOf([bytes.slice(0, cut), bytes.slice(cut)]));
      expect(lines, `cut at byte ${cut}`).toEqual(expected);
    }
  });

  test('reads a body cut into single bytes', async () => {
    const bytes = new TextEncoder().encode(text);
    expect(await collect(responseOf([...bytes].map((byte) => Uint8Array.of(byte))))).toEqual(expected);
  });

  test('gives slices of whole lines, about as long as asked, whatever the size', async () => {
    for (const size of [1, 5, 12, 1000]) {
      expect(await collect(new Response(text), size), `size ${size}`).toEqual(expected);
    }
    const slices: string[] = [];
    for await (const slice of lineSlicesOf(new Response('a\nbb\nccc\ndddd\n'), 4)) slices.push(slice);
    expect(slices).toEqual(['a\nbb\n', 'ccc\n', 'dddd\n']);
  });

  test('reads an empty body as no lines', async () => {
    expect(await collect(new Response(''))).toEqual([]);
  });
});
