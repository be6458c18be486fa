/**
 * `contacts.xlsx`: a "Contacts" sheet (one row per contact, the columns of `src/shared/export-columns.ts`) and a "Customers"
 * sheet, written with exceljs' streaming writer, one committed row at a time.
 *
 * Every value is a typed cell: text is a text cell, never a formula and never a number, so phones
 * ("+33 6 12 34 56 78"), ids with leading zeros ("000123") and formula-like text ("=1+1") show exactly as sent
 * and are not evaluated; no `'` prefix is needed, unlike in CSV. Timestamps stay the API's ISO 8601 text, which
 * sorts and filters in time order; date cells would need a style on every cell, which cost exceljs more than a
 * second and a few hundred MB at 100,000 contacts.
 *
 * Text cells are written inline (`useSharedStrings: false`): the shared-strings table exceljs keeps in memory
 * cost about 500 MB more at peak and 1.5 s more for 100,000 contacts, and every spreadsheet reads inline text.
 * exceljs is the slowest part of a publish, so it runs in a worker thread (started ahead by `prepare`, while the
 * workspace downloads): the calling thread turns rows into cell text a thousand at a time and transfers them,
 * at most 16 batches ahead, and writes the other formats meanwhile. The worker pauses while its XML waits for
 * the zip compressor, so neither side piles up memory. Its half, exceljs included, is `xlsx-workbook.ts`, which
 * this module must not import: exceljs on the fetch run's own thread slows the whole download (a test checks).
 *
 * The cells and document properties are deterministic (dated `generated_at`); the zip's entry timestamps are
 * not, as exceljs stamps them with the current time, so two writes differ in a few bytes.
 */
import { Worker } from 'node:worker_threads';
import { SnapshotIoError } from '../../shared/errors.ts';
import { CONTACT_COLUMNS, type Column, CUSTOMER_COLUMNS } from '../../shared/export-columns.ts';
import type { Snapshot } from '../../shared/schema.ts';
import type { Exporter } from './index.ts';

/** Excel's limit on the characters of one cell; longer text is cut (Excel would otherwise repair the file). */
export const MAX_CELL_CHARS = 32_767;

/** Characters XML 1.0 cannot carry. (exceljs would drop the C0 controls; the packed rows need them gone.) */
const NOT_XML = /[\uFFFE\uFFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters is the point
const C0_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
/** Anything `toCellText` would change, short of length: most values have none and are returned as they are. */
const NEEDS_CLEANING =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters is the point
  /[\r\uD800-\uDFFF\uFFFE\uFFFF\u0000-\u0008\u000B\u000C\u000E-\u001F]|_x[0-9A-Fa-f]{4}_/;

/**
 * Text as an XLSX cell holds it: well-formed UTF-16 (a lone surrogate becomes U+FFFD), line breaks as LF
 * (the XML reader would turn a bare CR into LF anyway), no characters XML cannot carry, at most
 * `MAX_CELL_CHARS` characters, and a literal `_xHHHH_` escaped as `_x005F_xHHHH_`, since spreadsheets
 * read `_xHHHH_` in cell text as the character U+HHHH.
 */
export function toCellText(value: string): string {
  if (value.length <= MAX_CELL_CHARS && !NEEDS_CLEANING.test(value)) return value;
  let text = value.toWellFormed().replace(/\r\n?/g, '\n').replace(NOT_XML, '\uFFFD').replace(C0_CONTROLS, '');
  if (text.length > MAX_CELL_CHARS) {
    text = text.slice(0, MAX_CELL_CHARS);
    text = text.toWellFormed() === text ? text : text.slice(0, -1);
  }
  return text.replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1');
}

/** Separators of the packed rows: C0 controls, which `toCellText` removes from every value (XML can't carry them). */
export const CELL = '\u001f';
export const ROW = '\u001e';
export const NULL_CELL = '\u001d';

/** Rows per batch sent to the worker, and batches sent but not yet written: bounds the rows in flight. */
const ROWS_PER_BATCH = 1_000;
const BATCHES_IN_FLIGHT = 16;

/** The sheets, in order: what the worker needs to know before the first row. */
export const SHEETS = [
  { name: 'Contacts', columns: CONTACT_COLUMNS },
  { name: 'Customers', columns: CUSTOMER_COLUMNS },
] as const;

/** What the worker is started with. */
export interface WorkbookJob {
  path: string;
  generatedAt: string;
  /** Data rows per sheet of `SHEETS`, for the autofilter. */
  rowCounts: number[];
}

/** Messages to the worker: the job, rows of one sheet (sheets in order), then the end. */
export type ToWorker =
  | { job: WorkbookJob }
  | { sheet: number; rows: Uint8Array<ArrayBuffer> }
  | { end: true };

/** Messages from the worker: a batch written (so another may be sent), then done or failed. */
export type FromWorker = { written: true } | { done: true } | { error: string; code?: string };

/**
 * Rows `start`..`end` as UTF-8 cell text, cells ending with CELL and rows with ROW (both one byte in UTF-8), in
 * their own ArrayBuffer so it can be transferred to the worker rather than copied.
 */
function packRows<Row>(
  columns: readonly Column<Row, string | number | null>[],
  rows: readonly Row[],
  start: number,
  end: number,
): Uint8Array<ArrayBuffer> {
  let text = '';
  for (let index = start; index < end; index += 1) {
    const row = rows[index] as Row;
    for (const column of columns) {
      const value = column.value(row);
      text += `${value === null ? NULL_CELL : typeof value === 'number' ? String(value) : toCellText(value)}${CELL}`;
    }
    text += ROW;
  }
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

function exitError(code: number): Error {
  return new Error(`the XLSX worker stopped with exit code ${code}`);
}

/** The worker started ahead of its job by `xlsxExporter.prepare`, if any. */
let warm: StartedWorker | undefined;

interface StartedWorker {
  worker: Worker;
  /** What happened to it before it was given a job. */
  early: { error?: Error };
  /** Stops recording early events: the job's own listeners take over. */
  detach: () => void;
}

/** Starts a worker, which loads exceljs and waits for its job; it does not keep the process alive until then. */
function startWorker(): StartedWorker {
  const worker = new Worker(new URL('./xlsx-worker.ts', import.meta.url), {
    // The writer streams, so its heap stays small whatever the row count; tight limits make V8 collect
    // sooner (the young generation holds the spent row buffers): 90 MB less RSS at 100,000 contacts.
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  const early: StartedWorker['early'] = {};
  const onError = (error: Error) => {
    early.error ??= error;
  };
  const onExit = (code: number) => {
    early.error ??= exitError(code);
  };
  worker.on('error', onError);
  worker.on('exit', onExit);
  return {
    worker,
    early,
    detach: () => {
      worker.off('error', onError);
      worker.off('exit', onExit);
    },
  };
}

/**
 * Writes the workbook in a worker thread, packing rows a batch at a time on this thread while the worker
 * writes the previous ones; rejects with the worker's error message.
 */
async function writeInWorker(snapshot: Snapshot, path: string): Promise<void> {
  // One per sheet of SHEETS, in order.
  const sources = [
    {
      count: snapshot.contacts.length,
      pack: (start: number, end: number) => packRows(CONTACT_COLUMNS, snapshot.contacts, start, end),
    },
    {
      count: snapshot.customers.length,
      pack: (start: number, end: number) => packRows(CUSTOMER_COLUMNS, snapshot.customers, start, end),
    },
  ];
  const job: WorkbookJob = {
    path,
    generatedAt: snapshot.generated_at,
    rowCounts: sources.map((source) => source.count),
  };
  let started = warm ?? startWorker();
  warm = undefined;
  // A worker started ahead that has died since (it should not) is replaced once.
  if (started.early.error) started = startWorker();
  started.detach();
  const { worker } = started;
  worker.ref();
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      failure ??= error;
      wake?.();
      reject(failure);
    };
    worker.on('message', (message: FromWorker) => {
      if ('written' in message) {
        inFlight -= 1;
        wake?.();
      } else if ('done' in message) resolve();
      else fail(Object.assign(new Error(message.error), { code: message.code }));
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(exitError(code)));
  });
  // Rejections are handled once the rows are sent; until then `failure` stops the sending.
  finished.catch(() => {});
  const send = (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
  try {
    send({ job });
    for (const [index, { count, pack }] of sources.entries()) {
      for (let start = 0; start < count && !failure; start += ROWS_PER_BATCH) {
        while (inFlight >= BATCHES_IN_FLIGHT && !failure)
          await new Promise<void>((resolve) => (wake = resolve));
        if (failure) break;
        const packed = pack(start, Math.min(start + ROWS_PER_BATCH, count));
        inFlight += 1;
        send({ sheet: index, rows: packed }, [packed.buffer]);
      }
    }
    if (!failure) send({ end: true });
    await finished;
  } finally {
    await worker.terminate();
  }
}

/** `contacts.xlsx`. */
export const xlsxExporter: Exporter = {
  fileName: 'contacts.xlsx',
  mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  prepare() {
    // Loading exceljs in a new thread takes about a quarter of a second: done while the workspace downloads.
    warm ??= startWorker();
  },
  async write(snapshot, path) {
    try {
      await writeInWorker(snapshot, path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SnapshotIoError(`Could not write the XLSX export to ${path}: ${reason}`, { cause: error });
    }
    return { rows: snapshot.contacts.length };
  },
};
