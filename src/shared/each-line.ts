/**
 * Reading a large text file a line at a time: the previous snapshot's `contacts.json`, read twice on a night
 * where every contact changed, and the live one the site is built from (both through `snapshot-lines.ts`).
 *
 * Lines are cut from the file's bytes and decoded one at a time, and each is handed over before the next chunk
 * is read, so none outlives the chunk it came from. readline's async iterator buffers up to a thousand lines
 * ahead of the reader, each a slice of the 64 kB string it was cut from, and each line costs a promise.
 * On a night where every contact changed, at 100,000 contacts, on a loaded 2-core machine, single runs
 * peaked at 633 MB with readline and 566-590 MB with this reader (issue 21): within the noise of such runs,
 * not yet a median.
 */
import { createReadStream } from 'node:fs';

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface EachLineOptions {
  /**
   * Sees every chunk of the file's bytes as it is read, before its lines are handed over (to hash and count
   * them in the same read). A chunk is the stream's: do not keep it.
   */
  onChunk?: (chunk: Buffer) => void;
  /** The most bytes read at a time: the stream's 64 kB by default. */
  chunkBytes?: number;
}

/**
 * Calls `onLine` with each line of `file` (UTF-8), without its `\n` or `\r\n`, in order, and the same line's
 * bytes (a view of the chunk it was cut from: do not keep it); stops reading when `onLine` returns `false`. A
 * last line without a line break is handed over too; an empty file has no line. Rejects as `createReadStream`
 * does (ENOENT for a missing file).
 */
export async function eachLine(
  file: string,
  onLine: (line: string, bytes: Buffer) => boolean | undefined,
  { onChunk, chunkBytes }: EachLineOptions = {},
): Promise<void> {
  // Bytes of a line that began in an earlier chunk. A line feed byte never occurs inside a multi-byte UTF-8
  // character, so cutting at it never splits one.
  let rest: Buffer | undefined;
  const stream = createReadStream(file, chunkBytes === undefined ? {} : { highWaterMark: chunkBytes });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    onChunk?.(chunk);
    let start = 0;
    for (let end = chunk.indexOf(LINE_FEED); end !== -1; end = chunk.indexOf(LINE_FEED, start)) {
      const bytes = withoutCarriageReturn(
        rest === undefined ? chunk.subarray(start, end) : Buffer.concat([rest, chunk.subarray(start, end)]),
      );
      rest = undefined;
      start = end + 1;
      if (onLine(bytes.toString('utf8'), bytes) === false) return;
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      rest = rest === undefined ? tail : Buffer.concat([rest, tail]);
    }
  }
  if (rest !== undefined) {
    const bytes = withoutCarriageReturn(rest);
    onLine(bytes.toString('utf8'), bytes);
  }
}

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.at(-1) === CARRIAGE_RETURN ? line.subarray(0, -1) : line;
}
