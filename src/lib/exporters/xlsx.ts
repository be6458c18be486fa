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
 * The rows are turned into cell text on the calling thread, packed into one string, and written by a worker
 * thread (exceljs is the slowest part of a publish), so the other formats are written meanwhile on another core.
 *
 * The cells and document properties are deterministic (dated `generated_at`); the zip's entry timestamps are
 * not, as exceljs stamps them with the current time, so two writes differ in a few bytes.
 */
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import ExcelJS from 'exceljs';
import { SnapshotIoError } from '../errors.ts';
import { CONTACT_COLUMNS, type Column, type ColumnKind, CUSTOMER_COLUMNS } from './columns.ts';
import type { Exporter } from './index.ts';

/** Excel's limit on the characters of one cell; longer text is cut (Excel would otherwise repair the file). */
export const MAX_CELL_CHARS = 32_767;

/** Rows written between two pauses that let the zip stream drain, keeping memory flat. */
const ROWS_PER_PAUSE = 1_000;

const CREATOR = 'Qwoty contacts directory';

/** Characters XML 1.0 cannot carry. (exceljs would drop the C0 controls; the packed rows need them gone.) */
const NOT_XML = /[\uFFFE\uFFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters is the point
const C0_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

/**
 * Text as an XLSX cell holds it: well-formed UTF-16 (a lone surrogate becomes U+FFFD), line breaks as LF
 * (the XML reader would turn a bare CR into LF anyway), no characters XML cannot carry, at most
 * `MAX_CELL_CHARS` characters, and a literal `_xHHHH_` escaped as `_x005F_xHHHH_`, since spreadsheets
 * read `_xHHHH_` in cell text as the character U+HHHH.
 */
export function toCellText(value: string): string {
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

/** One sheet's rows as UTF-8 cell text: cells end with CELL, rows with ROW (both one byte in UTF-8). */
interface PackedRows {
  count: number;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Both sheets' rows: what crosses to the worker thread, the bytes transferred rather than copied. */
export interface PackedWorkbook {
  path: string;
  generatedAt: string;
  contacts: PackedRows;
  customers: PackedRows;
}

/** Rows encoded a thousand at a time, so the calling thread never holds the whole sheet as one string. */
function pack<Row>(
  columns: readonly Column<Row, string | number | null>[],
  rows: readonly Row[],
): PackedRows {
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) chunks.push(Buffer.from(lines.join('')));
    lines = [];
  };
  for (const row of rows) {
    let line = '';
    for (const column of columns) {
      const value = column.value(row);
      line += `${value === null ? NULL_CELL : typeof value === 'number' ? String(value) : toCellText(value)}${CELL}`;
    }
    lines.push(`${line}${ROW}`);
    if (lines.length === ROWS_PER_PAUSE) flush();
  }
  flush();
  // Its own ArrayBuffer (never a pooled one), so it can be transferred.
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { count: rows.length, bytes };
}

/** The rows of `pack`, one at a time, each decoded on its own. */
function* unpack(packed: PackedRows): Generator<string[]> {
  const bytes = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const rowByte = ROW.charCodeAt(0);
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(rowByte, start);
    const line = bytes.toString('utf8', start, end);
    yield line.slice(0, -1).split(CELL);
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

async function writeRows(
  sheet: ExcelJS.Worksheet,
  columns: readonly Column<never, unknown>[],
  packed: PackedRows,
  throwIfFailed: () => void,
): Promise<void> {
  let written = 0;
  for (const cellTexts of unpack(packed)) {
    const values = cellTexts.map((cell, index) => unpackCell(columns[index]?.kind ?? 'text', cell));
    const cells = sheet.addRow(values);
    // exceljs gives each cell a new empty style object and files it by identity (a WeakMap): one shared
    // object is filed once instead of 1.5 million times, a second of the writer's time at 100,000 contacts.
    for (let column = 1; column <= values.length; column += 1) cells.getCell(column).style = PLAIN_STYLE;
    cells.commit();
    written += 1;
    if (written % ROWS_PER_PAUSE === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      throwIfFailed();
    }
  }
  sheet.commit();
}

/** Writes the workbook of packed rows; runs in the worker thread (`xlsx-worker.ts`). */
export async function writePackedWorkbook(packed: PackedWorkbook): Promise<void> {
  const { path } = packed;
  // Opening first makes a missing folder fail before exceljs starts; the stream then owns the handle.
  const handle = await open(path, 'w');
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
    const generatedAt = new Date(packed.generatedAt);
    workbook.creator = CREATOR;
    workbook.lastModifiedBy = CREATOR;
    workbook.created = generatedAt;
    workbook.modified = generatedAt;

    const contacts = addSheet(workbook, 'Contacts', CONTACT_COLUMNS, packed.contacts.count);
    await writeRows(contacts, CONTACT_COLUMNS, packed.contacts, throwIfFailed);
    const customers = addSheet(workbook, 'Customers', CUSTOMER_COLUMNS, packed.customers.count);
    await writeRows(customers, CUSTOMER_COLUMNS, packed.customers, throwIfFailed);
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

/** Runs `writePackedWorkbook` in a worker thread; rejects with the worker's error message. */
function writeInWorker(packed: PackedWorkbook): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./xlsx-worker.ts', import.meta.url), {
      workerData: packed,
      transferList: [packed.contacts.bytes.buffer, packed.customers.bytes.buffer],
      // The writer streams, so its heap stays small whatever the row count (the rows are outside it, in the
      // transferred bytes); a tight limit makes V8 collect sooner: 70 MB less RSS at 100,000 contacts.
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 16 },
    });
    let settled = false;
    worker.once('message', (message: { error?: string; code?: string }) => {
      settled = true;
      if (message.error === undefined) resolve();
      else reject(Object.assign(new Error(message.error), { code: message.code }));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the XLSX worker stopped with exit code ${code}`));
    });
  });
}

/** `contacts.xlsx`. */
export const xlsxExporter: Exporter = {
  fileName: 'contacts.xlsx',
  mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  async write(snapshot, path) {
    const packed: PackedWorkbook = {
      path,
      generatedAt: snapshot.generated_at,
      contacts: pack(CONTACT_COLUMNS, snapshot.contacts),
      customers: pack(CUSTOMER_COLUMNS, snapshot.customers),
    };
    try {
      await writeInWorker(packed);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SnapshotIoError(`Could not write the XLSX export to ${path}: ${reason}`, { cause: error });
    }
    return { rows: snapshot.contacts.length };
  },
};
