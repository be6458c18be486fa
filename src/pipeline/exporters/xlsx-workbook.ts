/**
 * The worker side of `contacts.xlsx` (see `xlsx.ts`): turns the packed rows back into cells and writes them with
 * exceljs' streaming writer. Only the worker thread loads this module, and with it exceljs: on the main thread
 * exceljs' code alone made V8's concurrent marking run through most of a 100,000-contact download.
 */
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Column, ColumnKind } from '../../shared/export-columns.ts';
import { CELL, NULL_CELL, ROW, SHEETS, type ToWorker, type WorkbookJob } from './xlsx.ts';

const CREATOR = 'Qwoty contacts directory';

type CellValue = string | number | null | ExcelJS.CellRichTextValue;

const PLAIN_STYLE: Partial<ExcelJS.Style> = {};

/** Sheet XML allowed to wait for the zip's compressor before the writer pauses. */
const MAX_ZIP_BACKLOG_BYTES = 4 * 1024 * 1024;

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

/**
 * Text that starts or ends with a space, a line break, a tab or an invisible character. LibreOffice trims
 * these from a plain text cell (`t="str"`, which exceljs writes without `xml:space="preserve"`), so an id
 * like "  0042" or "\t0042" would open as "0042".
 */
const EDGE_START = /^[\p{White_Space}\p{Cf}]/u;
const EDGE_END = /[\p{White_Space}\p{Cf}]$/u;

function hasEdgeSpace(text: string): boolean {
  // Most values start and end with a visible ASCII character: two comparisons instead of two regular
  // expressions, the fastest of the forms timed over 1.5 million cells.
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return false;
  return EDGE_START.test(text) || EDGE_END.test(text.slice(-2));
}

function unpackCell(kind: ColumnKind, cell: string): CellValue {
  if (cell === NULL_CELL) return null;
  if (kind === 'count') return Number(cell);
  // As rich text, exceljs writes the cell inline (`<is><t>`, with `xml:space="preserve"` for spaces), which
  // LibreOffice reads as written.
  return hasEdgeSpace(cell) ? { richText: [{ text: cell }] } : cell;
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
