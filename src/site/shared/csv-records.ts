/**
 * Splits CSV text as the site's exports write it (RFC 4180, CRLF between records) into its records, each
 * with its own line break, so a subset of a published CSV can be given byte for byte: the customer page's
 * "Download the contacts shown" takes the shown rows from the customer's own `contacts.csv`.
 *
 * No parsing is needed for that: in RFC 4180 a double quote only opens or closes a quoted field or comes
 * doubled inside one, so a CRLF ends a record exactly when the double quotes before it are even in number.
 */
export function splitCsvRecords(text: string): string[] {
  const records: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) quoted = !quoted;
    else if (code === 0x0d && !quoted && text.charCodeAt(i + 1) === 0x0a) {
      records.push(text.slice(start, i + 2));
      start = i + 2;
      i++;
    }
  }
  if (start < text.length) records.push(text.slice(start));
  return records;
}
