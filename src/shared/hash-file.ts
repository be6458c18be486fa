import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** A file's size and SHA-256, read as a stream so a large snapshot file is never held in memory. */
export async function hashFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
