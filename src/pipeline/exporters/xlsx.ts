/**
 * `contacts.xlsx`: a "Contacts" sheet (one row per contact, the columns of `src/shared/export-columns.ts`) and a "Customers"
 * sheet, written with exceljs' streaming writer, one committed row at a time.
 *
 * Every value is a typed cell: text is a text cell, never a formula and never a number, so phones
 * ("+33 6 12 34 56 78"), ids with leading zeros ("000123") and formula-like text ("=1+1") show exactly as sent
 * and are not evaluated; no `'` prefix is needed, unlike in CSV. `created_at` and `updated_at` are date-time
 * cells in the site's time zone (named in their header), so that a date filter or a sort by month works; the
 * cells of a column share one style object, which exceljs files once.
 *
 * It is written for people, in the site's language (`sheet-labels.ts`): roles and customer types in words,
 * columns as wide as their content up to `MAX_WIDTH` (longer text wraps), and a page setup that prints: A4
 * landscape, one page wide, the header row on every page, the snapshot's date and the page number in the
 * footer.
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
import {
  CONTACT_COLUMNS,
  type Column,
  type ColumnKind,
  CUSTOMER_COLUMNS,
  ROLE_SEPARATOR,
} from '../../shared/export-columns.ts';
import { resolveTimeZone, type SiteLang } from '../../shared/locale.ts';
import type { Snapshot } from '../../shared/schema/published.ts';
import type { Exporter } from './index.ts';
import { roleLabel, SHEET_LABELS, type SheetLabels, taxLabel } from './sheet-labels.ts';

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

/** Who reads the workbook: its language, and the time zone of its dates. */
export interface XlsxOptions {
  lang: SiteLang;
  /** An IANA time zone; `null` for the language's default (`Europe/Paris` in French, else UTC). */
  timeZone: string | null;
}

/** The widest a column gets, in characters; longer text wraps. */
export const MAX_WIDTH = 45;
const MIN_WIDTH = 6;
/** A date cell's width: "2026-12-07 06:28" and the filter button. */
const DATE_WIDTH = 18;

/** One sheet as the worker writes it: everything it needs before the first row. */
export interface SheetJob {
  name: string;
  headers: string[];
  kinds: ColumnKind[];
  /** Widths in characters, fitted to the content (`fitWidths`). */
  widths: number[];
  /** Columns whose text is wider than `MAX_WIDTH`, and wraps. */
  wrap: boolean[];
  /** Data rows, for the autofilter. */
  rowCount: number;
}

/** What the worker is started with. */
export interface WorkbookJob {
  path: string;
  generatedAt: string;
  sheets: SheetJob[];
  /** The date cells' number format. */
  dateFormat: string;
  /** The printed footer: left and right parts, as exceljs' header-footer codes. */
  footer: string;
}

/** Messages to the worker: the job, rows of one sheet (sheets in order), then the end. */
export type ToWorker =
  | { job: WorkbookJob }
  | { sheet: number; rows: Uint8Array<ArrayBuffer> }
  | { end: true };

/** Messages from the worker: a batch written (so another may be sent), then done or failed. */
export type FromWorker = { written: true } | { done: true } | { error: string; code?: string };

/**
 * A date cell's value for an ISO 8601 timestamp: the spreadsheet serial number (days since 1899-12-30) of its
 * wall-clock time in `timeZone`, since spreadsheet dates carry no zone. The zone's offset is looked up once
 * per hour of UTC time (offsets change on the hour).
 */
export function dateSerials(timeZone: string): (iso: string) => number | null {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const offsets = new Map<number, number>();
  const offsetAt = (hour: number): number => {
    let offset = offsets.get(hour);
    if (offset === undefined) {
      const parts: Record<string, number> = {};
      for (const part of format.formatToParts(hour * 3_600_000)) parts[part.type] = Number(part.value);
      const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day, parts.hour, parts.minute);
      offset = wall - hour * 3_600_000;
      offsets.set(hour, offset);
    }
    return offset;
  };
  return (iso) => {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return null;
    return (ms + offsetAt(Math.floor(ms / 3_600_000))) / 86_400_000 + 25_569;
  };
}

/** A sheet's columns as the XLSX writes them: headers, roles, types and tax ids in the site's words. */
export function sheetColumns<Row>(
  columns: readonly Column<Row, string | number | null>[],
  labels: SheetLabels,
  timeZone: string,
): Column<Row, string | number | null>[] {
  return columns.map((column) => {
    const english = labels.headers[column.key] ?? column.header;
    const header =
      column.kind === 'date'
        ? labels.dateHeader.replace('{header}', english).replace('{zone}', timeZone)
        : english;
    switch (column.key) {
      case 'roles':
        return {
          ...column,
          header,
          value: (row) => joinWords(roleList(row), (role) => roleLabel(labels, role)),
        };
      case 'tax_ids':
        return {
          ...column,
          header,
          value: (row) => joinWords(taxList(row), (tax) => `${taxLabel(labels, tax.tax)} ${tax.tax_value}`),
        };
      case 'customer_type':
        return {
          ...column,
          header,
          value: (row) => {
            const type = column.value(row);
            return typeof type === 'string' ? (labels.customerTypes[type] ?? type) : type;
          },
        };
      default:
        return { ...column, header };
    }
  });
}

function joinWords<T>(items: readonly T[], word: (item: T) => string): string | null {
  return items.length > 0 ? items.map(word).join(ROLE_SEPARATOR) : null;
}

/** A contact's roles (the sheets' rows are contacts or customers; a customer has none). */
function roleList(row: unknown): readonly string[] {
  const { role } = row as { role?: readonly string[] };
  return role ?? [];
}

/** A customer's tax ids. */
function taxList(row: unknown): readonly { tax: string; tax_value: string }[] {
  const { tax_ids } = row as { tax_ids?: readonly { tax: string; tax_value: string }[] };
  return tax_ids ?? [];
}

/** The length of a value's longest line. */
function textWidth(value: string): number {
  if (!value.includes('\n')) return value.length;
  return Math.max(...value.split('\n').map((line) => line.length));
}

/** Each column's width, fitted to its header and its longest value, from `MIN_WIDTH` to `MAX_WIDTH`. */
export function fitWidths<Row>(
  columns: readonly Column<Row, string | number | null>[],
  rows: readonly Row[],
): { widths: number[]; wrap: boolean[] } {
  const longest = columns.map((column) => textWidth(column.header));
  for (const row of rows) {
    for (const [index, column] of columns.entries()) {
      if (column.kind === 'date') continue;
      const value = column.value(row);
      if (value === null) continue;
      const width = typeof value === 'number' ? String(value).length : textWidth(value);
      if (width > (longest[index] ?? 0)) longest[index] = width;
    }
  }
  return {
    widths: longest.map((width, index) =>
      columns[index]?.kind === 'date'
        ? Math.max(DATE_WIDTH, width + 2)
        : Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width + 2)),
    ),
    wrap: longest.map((width) => width + 2 > MAX_WIDTH),
  };
}

/**
 * Rows `start`..`end` as UTF-8 cell text, cells ending with CELL and rows with ROW (both one byte in UTF-8), in
 * their own ArrayBuffer so it can be transferred to the worker rather than copied. A date travels as its
 * serial number.
 */
function packRows<Row>(
  columns: readonly Column<Row, string | number | null>[],
  rows: readonly Row[],
  start: number,
  end: number,
  serial: (iso: string) => number | null,
): Uint8Array<ArrayBuffer> {
  let text = '';
  for (let index = start; index < end; index += 1) {
    const row = rows[index] as Row;
    for (const column of columns) {
      let value = column.value(row);
      if (column.kind === 'date' && typeof value === 'string') value = serial(value) ?? value;
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
async function writeInWorker(snapshot: Snapshot, path: string, options: XlsxOptions): Promise<void> {
  const labels = SHEET_LABELS[options.lang];
  const timeZone = resolveTimeZone(options.lang, options.timeZone);
  const serial = dateSerials(timeZone);
  const contactColumns = sheetColumns(CONTACT_COLUMNS, labels, timeZone);
  const customerColumns = sheetColumns(CUSTOMER_COLUMNS, labels, timeZone);
  // One per sheet, in order.
  const sources = [
    {
      name: labels.contacts,
      columns: contactColumns,
      count: snapshot.contacts.length,
      widths: () => fitWidths(contactColumns, snapshot.contacts),
      pack: (start: number, end: number) => packRows(contactColumns, snapshot.contacts, start, end, serial),
    },
    {
      name: labels.customers,
      columns: customerColumns,
      count: snapshot.customers.length,
      widths: () => fitWidths(customerColumns, snapshot.customers),
      pack: (start: number, end: number) => packRows(customerColumns, snapshot.customers, start, end, serial),
    },
  ];
  const job: WorkbookJob = {
    path,
    generatedAt: snapshot.generated_at,
    sheets: sources.map(({ name, columns, count, widths }) => ({
      name,
      headers: columns.map((column) => column.header),
      kinds: columns.map((column) => column.kind),
      ...widths(),
      rowCount: count,
    })),
    dateFormat: labels.dateFormat,
    footer: printFooter(labels, options.lang, timeZone, snapshot.generated_at),
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

/**
 * The printed footer: the snapshot's date and time in `timeZone`, named, on the left; the page number on the
 * right. `&` is the codes' escape character, so a literal one is doubled.
 */
function printFooter(labels: SheetLabels, lang: SiteLang, timeZone: string, generatedAt: string): string {
  const date = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone,
  }).format(new Date(generatedAt));
  const left = labels.footer.replace('{date}', date).replace('{zone}', timeZone).replaceAll('&', '&&');
  return `&L${left}&R${labels.page}`;
}

/** `contacts.xlsx` for readers of `options.lang`, dates in `options.timeZone`. */
export function createXlsxExporter(options: XlsxOptions): Exporter {
  return {
    fileName: 'contacts.xlsx',
    mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    prepare() {
      // Loading exceljs in a new thread takes about a quarter of a second: done while the workspace downloads.
      warm ??= startWorker();
    },
    async write(snapshot, path) {
      try {
        await writeInWorker(snapshot, path, options);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new SnapshotIoError(`Could not write the XLSX export to ${path}: ${reason}`, { cause: error });
      }
      return { rows: snapshot.contacts.length };
    },
  };
}

/** `contacts.xlsx` in English, dates in UTC: the default of `QWOTY_SITE_LANG` and `QWOTY_SITE_TIME_ZONE`. */
export const xlsxExporter: Exporter = createXlsxExporter({ lang: 'en', timeZone: null });
