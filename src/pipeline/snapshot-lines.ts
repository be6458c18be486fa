/**
 * The line layout `contacts.json` is written in (exporters/json.ts), read back a line at a time: the one
 * reader of that layout, for the site's loader (`read-snapshot.ts`, which parses the records one by one) and
 * the change report (`reports/changes.ts`, which fingerprints them). Neither ever holds the whole file.
 *
 * The layout, line by line:
 * ```
 * {"schema_version":1,…every other top-level field…,
 * "customers":[
 * {…a customer…},           (each but the last ending in ",")
 * ],
 * "contacts":[
 * {…a contact…},            (each but the last ending in ",")
 * ]}
 * ```
 * Anything else (another writer's indentation, a file cut short, a separator missing) is another layout: the
 * reading stops there, and the caller reads the file whole, as JSON, instead. A record's text is not parsed
 * here: a line holding two records passes for one, whose text is then not one JSON value.
 */
import { type EachLineOptions, eachLine } from '../shared/each-line.ts';

/**
 * Called with one piece of the file, and its bytes (a view of what was read: do not keep it); returning
 * `false` stops the reading.
 */
export type OnSnapshotLine = (text: string, bytes: Buffer) => boolean | undefined;

export interface SnapshotLineHandlers extends EachLineOptions {
  /** The first line as the text of one JSON object: every top-level field but `customers` and `contacts`. */
  head?: OnSnapshotLine;
  /** Each customer's JSON text (its line without the separator), in order. */
  customer?: OnSnapshotLine;
  /** Each contact's JSON text (its line without the separator), in order. */
  contact?: OnSnapshotLine;
}

/**
 * How a reading ended: `read` when the file had exactly this layout and was read to its end; `stopped` when
 * a handler returned `false`; `other-layout` when a line did not fit (reading stopped there), or the file
 * ended before its last line.
 */
export type SnapshotLinesEnd = 'read' | 'stopped' | 'other-layout';

const HEAD_START = '{"schema_version":1,';

/** What each section's line may be; the sections follow one another in this order. */
const SECTIONS = ['head', '"customers":[', 'customers', '"contacts":[', 'contacts', 'end'] as const;
type Section = (typeof SECTIONS)[number];

/** The line that closes each list. */
const CLOSING: Partial<Record<Section, string>> = { customers: '],', contacts: ']}' };

/**
 * Hands each piece of a `contacts.json` in this layout to `on`, in file order. Rejects as `eachLine` does
 * (ENOENT for a missing file).
 */
export async function eachSnapshotLine(file: string, on: SnapshotLineHandlers): Promise<SnapshotLinesEnd> {
  let index = 0;
  let end: SnapshotLinesEnd | undefined;
  // Whether the list's last record ended in "," (so another record must follow), and how many it has.
  let separated = false;
  let records = 0;
  const stop = (why: SnapshotLinesEnd) => {
    end = why;
    return false;
  };
  await eachLine(
    file,
    (line, bytes) => {
      const section = SECTIONS[index];
      if (section === 'head') {
        if (!line.startsWith(HEAD_START) || !line.endsWith(',')) return stop('other-layout');
        index += 1;
        const head = `${line.slice(0, -1)}}`;
        return on.head?.(head, Buffer.from(head)) === false ? stop('stopped') : true;
      }
      if (section === 'customers' || section === 'contacts') {
        if (line === CLOSING[section] && !separated) {
          index += 1;
          records = 0;
          return true;
        }
        const text = line.endsWith(',') ? line.slice(0, -1) : line;
        if ((records > 0 && !separated) || !text.startsWith('{') || !text.endsWith('}')) {
          return stop('other-layout');
        }
        separated = text !== line;
        records += 1;
        // The separator is one byte: the record's bytes are the line's without it.
        const record = text === line ? bytes : bytes.subarray(0, -1);
        return on[section === 'customers' ? 'customer' : 'contact']?.(text, record) === false
          ? stop('stopped')
          : true;
      }
      if (section === 'end' || line !== section) return stop('other-layout');
      index += 1;
      return true;
    },
    on,
  );
  return end ?? (SECTIONS[index] === 'end' ? 'read' : 'other-layout');
}
