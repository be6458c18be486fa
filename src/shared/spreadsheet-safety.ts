/**
 * Formula safety for every spreadsheet-bound text this project writes: the published CSVs, the reports, and
 * the CSV the browser builds from a search. Pure and dependency-free, so the build and the browser bundle
 * share one rule and one CSV format.
 */

/**
 * What a spreadsheet may skip before it looks for a formula sign: spaces, invisible characters, controls, and
 * double quotes, which a reader that splits a quoted field in the wrong place leaves in front of a cell.
 */
const IGNORABLE_LEAD = /^[\p{White_Space}\p{Cf}\p{Cc}"]+/u;

/**
 * Where a spreadsheet may start a new cell or row inside a quoted value: LibreOffice and French or German
 * Excel split a comma file on `;`, others on tab, a reader that ignores quotes splits on the comma itself, and
 * once a reader has lost track of the quotes a line break inside a value ends its row. The text after each of
 * these must be as safe as the start of the value.
 */
const CELL_BREAK = /[,;\t\r\n]/;

/** The same, keeping each break as its own piece: `split` gives text, break, text, break, … */
const CELL_BREAKS = /([,;\t\r\n])/;

/** Does this text start a formula once a spreadsheet has skipped what it ignores in front? */
function startsFormula(text: string): boolean {
  // NFKC folds the fullwidth and small forms (`＝`, `﹢`…) onto `=`, `+`, as some spreadsheets do.
  const lead = text.replace(IGNORABLE_LEAD, '').slice(0, 2).normalize('NFKC');
  return /^[=+\-@]/.test(lead);
}

/** Is the first character an ASCII letter or digit, which can neither start a formula nor hide one? */
function startsPlain(value: string): boolean {
  const first = value.charCodeAt(0);
  return (
    (first >= 0x30 && first <= 0x39) || (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a)
  );
}

/**
 * Makes a cell safe to open in a spreadsheet (OWASP "CSV Injection"), whatever separator the reader splits
 * it on: a `'` goes in front of the value when a spreadsheet could read it as a formula, and after every `,`,
 * `;`, tab, CR or LF inside it that a formula could follow. A formula start is a tab, CR or LF first, or a first
 * visible character `=`, `+`, `-` or `@`, including their fullwidth and small forms (`＝`, `﹢`…, which some
 * spreadsheets fold onto the ASCII ones) and behind spaces, zero-width characters or double quotes.
 *
 * "Ann;=1+1" becomes "Ann;'=1+1": read as comma-separated it is one cell with a visible `'`; split on `;`, as
 * French and German spreadsheets do, its second cell is the text "'=1+1" instead of the formula `=1+1,5`.
 * Likewise "a,=1+1," becomes "a,'=1+1,": a reader that ignores the quotes finds no clean `=1+1` cell.
 *
 * Phone numbers are no exception: Excel reads "+33 6 12 34 56 78" as a formula (showing #NULL!) and
 * "+33612345678" as the number 33612345678, dropping the "+". Of the safe forms, "'+33 6 12 34 56 78" is the
 * most readable: every digit stays as sent and the `'` is obviously not part of the number. The other options
 * either are formulas themselves (`="+33…"`), hide characters that break copying and dialling (zero-width
 * prefixes), or change the data (`+` → `00`). The XLSX export shows phones exactly, as typed text cells.
 */
export function neutraliseFormula(value: string): string {
  // Most values start with an ASCII letter or digit and hold no break: nothing to look at.
  if (startsPlain(value) && !CELL_BREAK.test(value)) {
    return value;
  }
  const start = /^[\t\r\n]/.test(value) || startsFormula(value) ? "'" : '';
  if (!CELL_BREAK.test(value)) {
    return start + value;
  }
  const pieces = value.split(CELL_BREAKS);
  // Odd indices are the breaks; a piece after a break is where a reader may start a new cell.
  for (let index = 2; index < pieces.length; index += 2) {
    const piece = pieces[index] ?? '';
    if (startsFormula(piece)) pieces[index] = `'${piece}`;
  }
  return start + pieces.join('');
}

/** The byte order mark that makes Excel read a CSV as UTF-8. */
export const CSV_BOM = '\uFEFF';

/** The record separator of every CSV this project writes: CRLF, as RFC 4180 and Excel expect. */
export const CSV_RECORD_END = '\r\n';

/**
 * One CSV record as this project writes it: every field neutralised and in double quotes (`"` doubled), comma
 * separated, ending in CRLF; `null` is an empty field, `""`. Quoting every field is what keeps a reader that
 * splits on `;` or tab inside one quoted field, for LibreOffice; it also tells readers that offer it ("Format
 * quoted field as text") to keep every value as text, so "000123" stays "000123".
 */
export function csvRecord(values: readonly (string | null)[]): string {
  let record = '';
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index] ?? '';
    record += `${index === 0 ? '' : ','}"${neutraliseFormula(value).replaceAll('"', '""')}"`;
  }
  return record + CSV_RECORD_END;
}

/**
 * A whole CSV document in this project's format: byte order mark, the header and one record per row, each
 * made by `csvRecord`. The same bytes as the server's csv-stringify writer, for CSVs built in the browser.
 */
export function toSafeCsv(header: readonly string[], rows: Iterable<readonly (string | null)[]>): string {
  let text = CSV_BOM + csvRecord(header);
  for (const row of rows) text += csvRecord(row);
  return text;
}
