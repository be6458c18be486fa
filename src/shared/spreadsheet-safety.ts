/**
 * Formula safety for every spreadsheet-bound text this project writes: the published CSVs, the reports, and
 * the CSV the browser builds from a search. Pure and dependency-free, so the build and the browser bundle
 * share one rule.
 */

/** What a spreadsheet may skip before it looks for a formula sign: spaces, invisible characters, controls. */
const IGNORABLE_LEAD = /^[\p{White_Space}\p{Cf}\p{Cc}]+/u;

/**
 * Makes a cell safe to open in a spreadsheet (OWASP "CSV Injection"): a value that a spreadsheet could read
 * as a formula gets a leading `'`. That is a value starting with a tab, CR or LF, or whose first visible
 * character is `=`, `+`, `-` or `@`, including their fullwidth and small forms (`＝`, `﹢`…, which some
 * spreadsheets fold onto the ASCII ones) and behind leading spaces or zero-width characters.
 *
 * Phone numbers are no exception: Excel reads "+33 6 12 34 56 78" as a formula (showing #NULL!) and
 * "+33612345678" as the number 33612345678, dropping the "+". Of the safe forms, "'+33 6 12 34 56 78" is the
 * most readable: every digit stays as sent and the `'` is obviously not part of the number. The other options
 * either are formulas themselves (`="+33…"`), hide characters that break copying and dialling (zero-width
 * prefixes), or change the data (`+` → `00`). The XLSX export shows phones exactly, as typed text cells.
 */
export function neutraliseFormula(value: string): string {
  // Most values start with an ASCII letter or digit, which can neither start a formula nor hide one.
  const first = value.charCodeAt(0);
  if (
    (first >= 0x30 && first <= 0x39) ||
    (first >= 0x41 && first <= 0x5a) ||
    (first >= 0x61 && first <= 0x7a)
  ) {
    return value;
  }
  if (/^[\t\r\n]/.test(value)) {
    return `'${value}`;
  }
  const lead = value.replace(IGNORABLE_LEAD, '').slice(0, 2).normalize('NFKC');
  return /^[=+\-@]/.test(lead) ? `'${value}` : value;
}
