/**
 * `contacts.json`: the `Snapshot` itself, what the site is built from. Written piece by piece: the top-level
 * fields on the first line, then `customers` and `contacts` with one element per line, so the file is valid
 * JSON, diffs line by line, and 100,000 contacts never become one giant string.
 */
import { SnapshotIoError } from '../../shared/errors.ts';
import type { Snapshot, SnapshotContact } from '../../shared/schema/published.ts';
import type { Exporter } from './index.ts';
import { writeTextFile } from './write-text.ts';

/** Told each contact's JSON text as `contacts.json` holds it (its line, without the separator). */
export type OnContactText = (contact: SnapshotContact, text: string) => void;

function* jsonPieces(snapshot: Snapshot, onContactText?: OnContactText): Generator<string> {
  const { customers, contacts, ...head } = snapshot;
  yield JSON.stringify(head).slice(0, -1);
  for (const [name, items] of [
    ['customers', customers],
    ['contacts', contacts],
  ] as const) {
    yield `,\n${JSON.stringify(name)}:[`;
    let separator = '\n';
    for (const item of items) {
      const text = JSON.stringify(item);
      if (onContactText && name === 'contacts') onContactText(item as SnapshotContact, text);
      yield separator + text;
      separator = ',\n';
    }
    yield '\n]';
  }
  yield '}\n';
}

/** `contacts.json`. */
export const jsonExporter: Exporter = {
  fileName: 'contacts.json',
  mediaType: 'application/json',
  write: (snapshot, path) => writeJson(snapshot, path),
};

/**
 * Writes `contacts.json`; `onContactText` sees each contact's text as it is written (the change report
 * fingerprints it there rather than stringifying 100,000 contacts a second time).
 */
export async function writeJson(
  snapshot: Snapshot,
  path: string,
  onContactText?: OnContactText,
): Promise<{ rows: number }> {
  try {
    await writeTextFile(path, jsonPieces(snapshot, onContactText));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SnapshotIoError(`Could not write the JSON export to ${path}: ${reason}`, { cause: error });
  }
  return { rows: snapshot.contacts.length };
}
