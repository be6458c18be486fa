/**
 * Finds and runs Debian's LibreOffice Calc (`libreoffice-calc-nogui`) headless, for the tests that open the
 * exports in a real spreadsheet application: it converts files to XLSX, which exceljs then reads back.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Where Debian's `libreoffice-calc-nogui` puts `soffice`; `SOFFICE_PATH` overrides it. */
export const SOFFICE_PATH = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';

export function hasLibreOffice(): boolean {
  return existsSync(SOFFICE_PATH);
}

/** How LibreOffice's CSV import reads a file: what its "Text Import" dialog asks. */
export interface CsvImport {
  /** The field separator the reader splits on. */
  separator: ',' | ';' | '\t';
  /** The locale numbers and dates are read in, as a Windows language id: 1033 en-US, 1036 fr-FR, 1031 de-DE. */
  language: number;
  /** "Format quoted field as text": every quoted field becomes a text cell, never a number or a date. */
  quotedAsText: boolean;
}

/**
 * The CSV filter's option string (LibreOffice's "CSV Filter Options" help page, tokens 1 to 13): separator,
 * text delimiter `"` (34), UTF-8 (76), from line 1, every column "Standard", the language, "quoted field as
 * text", no special-number detection, three export-only tokens, no space trimming, and, last, "evaluate
 * formulas" on: a cell that starts a formula becomes one, as when a person opens the file.
 */
export function csvFilterOptions(options: CsvImport): string {
  const separator = options.separator.charCodeAt(0);
  return `${separator},34,76,1,,${options.language},${options.quotedAsText},false,false,false,false,,true`;
}

export interface ConvertOptions {
  /** The files to convert in one start of LibreOffice (it takes a second or more to start). */
  files: readonly string[];
  /** Where the `.xlsx` files go, named after their sources; it must differ from the sources' folder. */
  outDir: string;
  /** A folder of LibreOffice's own: its user profile, so that parallel runs never share one. */
  profileDir: string;
  /** How to read CSV sources; other formats are recognised by LibreOffice itself. */
  csv?: CsvImport | undefined;
}

/**
 * Opens each file in LibreOffice Calc headless and saves it as XLSX ("Calc MS Excel 2007 XML"), as a person
 * opening it and saving it would. Resolves with the paths of the XLSX files, in the order of `files`; rejects
 * when LibreOffice fails or leaves one out.
 */
export async function convertToXlsx(options: ConvertOptions): Promise<string[]> {
  const args = [
    '--headless',
    '--norestore',
    `-env:UserInstallation=${pathToFileURL(options.profileDir).href}`,
    '--convert-to',
    'xlsx',
    ...(options.csv ? [`--infilter=CSV:${csvFilterOptions(options.csv)}`] : []),
    '--outdir',
    options.outDir,
    ...options.files,
  ];
  await execFileAsync(SOFFICE_PATH, args, { timeout: 120_000 });
  const outputs = options.files.map((file) => join(options.outDir, `${basename(file, extname(file))}.xlsx`));
  const missing = outputs.filter((output) => !existsSync(output));
  if (missing.length > 0) {
    throw new Error(`LibreOffice did not write ${missing.join(', ')}`);
  }
  return outputs;
}
