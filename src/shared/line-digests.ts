/**
 * The SHA-256 of the line each contact of a snapshot was parsed from, kept beside the parsed object. A line of
 * `contacts.json` written by this publisher is the whole of its contact (the object is `JSON.parse` of it and
 * nothing else), so its digest stands for the contact in the site cache's keys (`digestOf` in
 * `src/site/build/cache-key.ts`): hashing the lines as they are read took 0.22-0.31 s at 100,000 contacts,
 * where writing every customer's contacts back to JSON to hash them took about 1 s of every night.
 *
 * One map for every copy of this module: the site build reads the snapshot with its own, and the pages run in
 * Astro's bundle with another.
 */
import { hash } from 'node:crypto';

const DIGESTS = Symbol.for('qwoty.line-digests');
const holder = globalThis as { [DIGESTS]?: WeakMap<object, string> };
holder[DIGESTS] ??= new WeakMap<object, string>();
const digests = holder[DIGESTS];

/** Records that `value` is `JSON.parse` of the line whose UTF-8 bytes are `line`, unchanged since. */
export function rememberLine(value: object, line: Uint8Array): void {
  digests.set(value, hash('sha256', line, 'base64'));
}

/** The digest of the line `value` was parsed from, if it was recorded (`rememberLine`). */
export function lineDigestOf(value: object): string | undefined {
  return digests.get(value);
}
