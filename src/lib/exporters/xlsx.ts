/**
 * `contacts.xlsx`: a "Contacts" sheet (one row per contact, the columns of `columns.ts`) and a "Customers"
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
 * the zip compressor, so neither side piles up memory.
 *
 * The cells and document properties are deterministic (dated `generated_at`); the zip's entry timestamps are
 * not, as exceljs stamps them with the current time, so two writes differ in a few bytes.
 */
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import ExcelJS from 'exceljs';
import { SnapshotIoError } from '../errors.ts';
import type { Snapshot } from '../schema.ts';
import { CONTACT_COLUMNS, type Column, type ColumnKind, CUSTOMER_COLUMNS } from './columns.ts';
import type { Exporter } from './index.ts';

/** Excel's limit on the characters of one cell; longer text is cut (Excel would otherwise repair the file). */
export const MAX_CELL_CHARS = 32_767;

const CREATOR = 'Qwoty contacts directory';

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

type CellValue = string | number | null;

const PLAIN_STYLE: Partial<ExcelJS.Style> = {};

/** Separators of the packed rows: C0 controls, which `toCellText` removes from every value (XML can't carry them). */
const CELL = '\u001f';
const ROW = '\u001e';
const NULL_CELL = '\u001d';

/** Rows per batch sent to the worker, and batches sent but not yet written: bounds the rows in flight. */
const ROWS_PER_BATCH = 1_000;
const BATCHES_IN_FLIGHT = 16;

/** Sheet XML allowed to wait for the zip's compressor before the writer pauses. */
const MAX_ZIP_BACKLOG_BYTES = 4 * 1024 * 1024;

/** The sheets, in order: what the worker needs to know before the first row. */
const SHEETS = [
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

/** The rows of `packRows`, one at a time. */
function* unpackRows(packed: Uint8Array): Generator<string[]> {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const rowByte = ROW.charCodeAt(0);
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(rowByte, start);
    yield bytes.toString('utf8', start, end - 1).split(CELL);
    start = end + 1;
  }
}

function unpackCell(kind: ColumnKind, cell: string): CellValue {
  if (cell === NULL_CELL) return null;
  return kind === 'count' ? Number(cell) : cell;
}

function addSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  columns: readonly Column<never, unknown>[],
  rowCount: number,
): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ key: column.key, width: column.width }));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: rowCount + 1, column: columns.length } };
  const header = sheet.addRow(columns.map((column) => column.header));
  header.font = { bold: true };
  header.commit();
  return sheet;
}

/**
 * Bytes of sheet XML that exceljs has written but the zip's compressor has not taken yet. exceljs writes each
 * committed row to the zip without waiting (it ignores back-pressure), so on a large sheet the XML piles up
 * there while zlib catches up: 66 MB at 100,000 contacts. Reaches into exceljs' internals (the sheet's
 * stream and the stream it pipes to); a test fails if they change.
 */
export function zipBacklog(sheet: ExcelJS.Worksheet): number {
  const internals = sheet as unknown as { stream?: { pipes?: { _writableState?: { length?: number } }[] } };
  return internals.stream?.pipes?.[0]?._writableState?.length ?? 0;
}

function writeRows(sheet: ExcelJS.Worksheet, columns: readonly Column<never, unknown>[], packed: Uint8Array) {
  for (const cellTexts of unpackRows(packed)) {
    const values = cellTexts.map((cell, index) => unpackCell(columns[index]?.kind ?? 'text', cell));
    const cells = sheet.addRow(values);
    // exceljs gives each cell a new empty style object and files it by identity (a WeakMap): one shared
    // object is filed once instead of 1.5 million times, a second of the writer's time at 100,000 contacts.
    for (let column = 1; column <= values.length; column += 1) cells.getCell(column).style = PLAIN_STYLE;
    cells.commit();
  }
}

/**
 * Writes the workbook from the batches `next` returns, acknowledging each one with `written` once its rows
 * are committed; runs in the worker thread (`xlsx-worker.ts`).
 */
export async function writeWorkbook(
  job: WorkbookJob,
  next: () => Promise<ToWorker>,
  written: () => void,
): Promise<void> {
  // Opening first makes a missing folder fail before exceljs starts; the stream then owns the handle.
  const handle = await open(job.path, 'w');
  const file = handle.createWriteStream();
  // exceljs only listens for file errors once it commits: until then they are kept here and end the rows.
  let failure: { error: unknown } | undefined;
  file.on('error', (error) => {
    failure ??= { error };
  });
  const throwIfFailed = (): void => {
    if (failure) throw failure.error;
  };
  const closed = new Promise<void>((resolve) => file.once('close', resolve));
  try {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: file,
      useStyles: true,
      useSharedStrings: false,
    });
    const generatedAt = new Date(job.generatedAt);
    workbook.creator = CREATOR;
    workbook.lastModifiedBy = CREATOR;
    workbook.created = generatedAt;
    workbook.modified = generatedAt;

    let message = await next();
    for (const [index, { name, columns }] of SHEETS.entries()) {
      const sheet = addSheet(workbook, name, columns, job.rowCounts[index] ?? 0);
      while ('sheet' in message && message.sheet === index) {
        writeRows(sheet, columns, message.rows);
        // A turn of the event loop lets the zip stream drain and file errors arrive; then wait while more
        // than a few megabytes of XML wait for the compressor, so they never pile up.
        await new Promise((resolve) => setImmediate(resolve));
        while (zipBacklog(sheet) > MAX_ZIP_BACKLOG_BYTES && !failure) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        throwIfFailed();
        written();
        message = await next();
      }
      sheet.commit();
    }
    if (!('end' in message)) throw new Error('the XLSX rows came out of order');
    throwIfFailed();
    // A file that fails now closes without 'finish', which exceljs would wait for forever.
    await Promise.race([workbook.commit(), closed]);
    await closed;
    throwIfFailed();
  } catch (error) {
    file.destroy();
    await closed;
    throw failure?.error ?? error;
  }
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
