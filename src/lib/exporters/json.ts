/**
 * `contacts.json`: the `Snapshot` itself, what the site is built from. Written piece by piece: the top-level
 * fields on the first line, then `customers` and `contacts` with one element per line, so the file is valid
 * JSON, diffs line by line, and 100,000 contacts never become one giant string.
 */
import { SnapshotIoError } from '../errors.ts';
import type { Snapshot } from '../schema.ts';
import type { Exporter } from './index.ts';
import { writeTextFile } from './write-text.ts';

function* jsonPieces(snapshot: Snapshot): Generator<string> {
  const { customers, contacts, ...head } = snapshot;
  yield JSON.stringify(head).slice(0, -1);
  for (const [name, items] of [
    ['customers', customers],
    ['contacts', contacts],
  ] as const) {
    yield `,\n${JSON.stringify(name)}:[`;
    let separator = '\n';
    for (const item of items) {
      yield separator + JSON.stringify(item);
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
  async write(snapshot, path) {
    try {
      await writeTextFile(path, jsonPieces(snapshot));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SnapshotIoError(`Could not write the JSON export to ${path}: ${reason}`, { cause: error });
    }
    return { rows: snapshot.contacts.length };
  },
};
