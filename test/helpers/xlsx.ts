/**
 * Reads an XLSX file with real, independent readers: Debian's python3-openpyxl (`read-xlsx.py`) for what a
 * spreadsheet shows and prints, and LibreOffice turned into a PDF, read by poppler-utils (`pdfinfo`,
 * `pdftotext`), for what it actually prints. Tests that need them skip themselves with a message when they
 * are missing, except in CI (`CI` set), where they fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { SOFFICE_PATH } from '../../src/testing/libreoffice.ts';

const execFileAsync = promisify(execFile);

/** The Python that has python3-openpyxl: Debian's own, not one a version manager puts first on the PATH. */
export const OPENPYXL_PYTHON = process.env.OPENPYXL_PYTHON ?? '/usr/bin/python3';

const SCRIPT = fileURLToPath(new URL('read-xlsx.py', import.meta.url));

export function hasOpenpyxl(): boolean {
  return spawnSync(OPENPYXL_PYTHON, ['-c', 'import openpyxl'], { stdio: 'ignore' }).status === 0;
}

export function hasPdfTools(): boolean {
  return existsSync(SOFFICE_PATH) && existsSync('/usr/bin/pdfinfo') && existsSync('/usr/bin/pdftotext');
}

const CellSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.object({ date: z.string() })]);

/** A sheet as openpyxl reads it. */
export const ReadSheetSchema = z.object({
  name: z.string(),
  rows: CellSchema.array().array(),
  widths: z.number().nullable().array(),
  /** Per column, whether the first data row's cell wraps its text. */
  wrap: z.boolean().array(),
  /** Per column, the first data row's number format. */
  formats: z.string().array(),
  orientation: z.string().nullable(),
  paperSize: z.number().nullable(),
  fitToPage: z.boolean().nullable(),
  fitToWidth: z.number().nullable(),
  fitToHeight: z.number().nullable(),
  printTitleRows: z.string().nullable(),
  footer: z.object({ left: z.string().nullable(), right: z.string().nullable() }),
  freeze: z.string().nullable(),
  autoFilter: z.string().nullable(),
});
export type ReadSheet = z.output<typeof ReadSheetSchema>;

/** Every sheet of the workbook at `path`, as openpyxl reads it. */
export async function readWithOpenpyxl(path: string): Promise<ReadSheet[]> {
  const { stdout } = await execFileAsync(OPENPYXL_PYTHON, [SCRIPT, path], { maxBuffer: 256 * 1024 * 1024 });
  return ReadSheetSchema.array().parse(JSON.parse(stdout));
}

/** What LibreOffice printed: each page's size in points and its text. */
export interface PrintedPages {
  pages: { width: number; height: number; text: string }[];
}

/** Opens `path` in LibreOffice Calc headless, prints it to PDF, and reads the PDF's pages back. */
export async function printWithLibreOffice(
  path: string,
  outDir: string,
  profileDir: string,
): Promise<PrintedPages> {
  await execFileAsync(
    SOFFICE_PATH,
    [
      '--headless',
      '--norestore',
      `-env:UserInstallation=${pathToFileURL(profileDir).href}`,
      '--convert-to',
      'pdf',
      '--outdir',
      outDir,
      path,
    ],
    { timeout: 120_000 },
  );
  const pdf = join(outDir, `${basename(path, extname(path))}.pdf`);
  const { stdout: info } = await execFileAsync('/usr/bin/pdfinfo', ['-l', '10000', pdf]);
  const sizes = [...info.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm)].map((match) => ({
    width: Number(match[1]),
    height: Number(match[2]),
  }));
  const { stdout: text } = await execFileAsync('/usr/bin/pdftotext', ['-layout', pdf, '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  // pdftotext ends each page with a form feed.
  const texts = text.split('\f');
  return { pages: sizes.map((size, index) => ({ ...size, text: texts[index] ?? '' })) };
}
