import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eachLine } from '../src/shared/each-line.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qwoty-each-line-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function linesOf(text: string | Buffer, stopAfter = Number.POSITIVE_INFINITY): Promise<string[]> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(file, text);
  const lines: string[] = [];
  await eachLine(file, (line, bytes) => {
    // The bytes handed over with a line are that line's, whatever chunk it was cut from.
    expect(bytes.toString('utf8')).toBe(line);
    expect(Buffer.from(line).equals(bytes)).toBe(true);
    lines.push(line);
    return lines.length < stopAfter;
  });
  return lines;
}

describe('eachLine', () => {
  test('hands over lines whose multi-byte characters straddle the 64 kB chunks, each decoded whole', async () => {
    // 2- to 4-byte characters at every offset, over several chunks: a cut inside one would read U+FFFD.
    const lines = Array.from(
      { length: 6000 },
      (_, n) => `{"id":"${n}","name":"Élodie € 😀 ${'é'.repeat(n % 7)}"}`,
    );
    const read = await linesOf(`${lines.join('\n')}\n`);
    expect(read).toEqual(lines);
    expect(read.join('')).not.toContain('\uFFFD');
  });

  test('hands over a line longer than a chunk whole', async () => {
    const long = 'x'.repeat(200_000);
    expect(await linesOf(`a\n${long}\nb\n`)).toEqual(['a', long, 'b']);
  });

  test('drops the carriage return of CRLF line breaks and keeps a last line without a break', async () => {
    expect(await linesOf('one\r\ntwo\r\n\r\nlast')).toEqual(['one', 'two', '', 'last']);
  });

  test('reads nothing from an empty file', async () => {
    expect(await linesOf('')).toEqual([]);
  });

  test('stops reading when told to', async () => {
    expect(await linesOf('a\nb\nc\n', 2)).toEqual(['a', 'b']);
  });

  test('shows every byte to onChunk, in order, and hands over the same lines at any chunk size', async () => {
    const text = `Élodie € 😀\nline \u2028 two\r\n${'é'.repeat(40)}\nlast`;
    const file = path.join(dir, 'chunks.txt');
    await writeFile(file, text);
    for (const chunkBytes of [1, 3, 4, 64 * 1024]) {
      const chunks: Buffer[] = [];
      const lines: string[] = [];
      await eachLine(file, (line, bytes) => void lines.push(Buffer.from(line).equals(bytes) ? line : '?'), {
        chunkBytes,
        onChunk: (chunk) => void chunks.push(Buffer.from(chunk)),
      });
      expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
      expect(chunks.every((chunk) => chunk.length <= chunkBytes)).toBe(true);
      expect(lines).toEqual(['Élodie € 😀', 'line \u2028 two', 'é'.repeat(40), 'last']);
    }
  });

  test('rejects with ENOENT for a missing file', async () => {
    await expect(eachLine(path.join(dir, 'missing.json'), () => true)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
