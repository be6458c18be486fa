/**
 * The worker side of `contacts.xlsx` (see `xlsx.ts`): turns the packed rows back into cells and writes them with
 * exceljs' streaming writer. Only the worker thread loads this module, and with it exceljs: on the main thread
 * exceljs' code alone made V8's concurrent marking run through most of a 100,000-contact download.
 */
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { ColumnKind } from '../../shared/export-columns.ts';
import { CELL, NULL_CELL, ROW, type SheetJob, type ToWorker, type WorkbookJob } from './xlsx.ts';

const CREATOR = 'Qwoty contacts directory';

type CellValue = string | number | null | ExcelJS.CellRichTextValue;

/** Print margins in inches: narrower than exceljs' defaults, so more of each page holds rows. */
const MARGINS = { left: 0.4, right: 0.4, top: 0.5, bottom: 0.6, header: 0.2, footer: 0.3 };
/** ECMA-376's paper size code for A4. */
const A4 = 9;

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
  // A date arrives as its serial number (a timestamp that could not be read, as its text).
  if (kind === 'count' || (kind === 'date' && /^\d/.test(cell))) return Number(cell);
  // As rich text, exceljs writes the cell inline (`<is><t>`, with `xml:space="preserve"` for spaces), which
  // LibreOffice reads as written.
  return hasEdgeSpace(cell) ? { richText: [{ text: cell }] } : cell;
}

/**
 * Each column's cell style, one object per column: exceljs gives each cell a new empty style object and files it
 * by identity (a WeakMap), so one shared object is filed once instead of 1.5 million times (a second of the
 * writer's time at 100,000 contacts). Cells align to the top, so that a row whose text wraps still reads
 * across; dates get their number format.
 */
function columnStyles(sheet: SheetJob, dateFormat: string): Partial<ExcelJS.Style>[] {
  return sheet.kinds.map((kind, index) => ({
    alignment: { vertical: 'top', ...(sheet.wrap[index] ? { wrapText: true } : {}) },
    ...(kind === 'date' ? { numFmt: dateFormat } : {}),
  }));
}

function addSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  sheet: SheetJob,
  footer: string,
): ExcelJS.Worksheet {
  const worksheet = workbook.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }],
    // Printed: A4 landscape, as many pages high as it takes but one page wide, the header row on each page.
    pageSetup: {
      paperSize: A4,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:1',
      margins: MARGINS,
    },
    headerFooter: { oddFooter: footer, evenFooter: footer },
  });
  worksheet.columns = sheet.widths.map((width) => ({ width }));
  const columns = sheet.headers.length;
  worksheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: sheet.rowCount + 1, column: columns } };
  const header = worksheet.addRow(sheet.headers);
  header.font = { bold: true };
  header.alignment = { vertical: 'top', wrapText: true };
  header.commit();
  return worksheet;
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

function writeRows(
  worksheet: ExcelJS.Worksheet,
  sheet: SheetJob,
  styles: readonly Partial<ExcelJS.Style>[],
  packed: Uint8Array,
) {
  for (const cellTexts of unpackRows(packed)) {
    const values = cellTexts.map((cell, index) => unpackCell(sheet.kinds[index] ?? 'text', cell));
    const cells = worksheet.addRow(values);
    for (let column = 1; column <= values.length; column += 1) {
      const style = styles[column - 1];
      if (style) cells.getCell(column).style = style;
    }
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
    for (const [index, sheetJob] of job.sheets.entries()) {
      const sheet = addSheet(workbook, sheetJob, job.footer);
      const styles = columnStyles(sheetJob, job.dateFormat);
      while ('sheet' in message && message.sheet === index) {
        writeRows(sheet, sheetJob, styles, message.rows);
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
