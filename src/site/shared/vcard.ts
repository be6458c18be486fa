/**
 * vCard 3.0 (RFC 2426 on RFC 2425), the version every address book reads: iOS, Android, Outlook, Google
 * Contacts. Isomorphic: the build writes each customer's `contacts.vcf` with it, and the customer page's
 * script builds one contact's card with it, so both give the same bytes for the same contact.
 *
 * Every value is text: `\`, `,`, `;` and line breaks are escaped, other control characters become spaces,
 * so no value can end a card, start a property or split a name into fields. Lines are folded at 75 octets
 * of UTF-8, never inside a character or an escape, and end with CRLF.
 */

/** What a card says of one contact. Text as in the snapshot; `null` or empty leaves the property out. */
export interface VcardContact {
  /** The contact's id, so an address book can recognise the same contact when imported again. */
  uid: string;
  /** The name to show (FN): never empty. */
  name: string;
  familyName: string | null;
  givenName: string | null;
  /** The customer's name (ORG). */
  organisation: string | null;
  /** The roles, in words (TITLE). */
  title: string | null;
  email: string | null;
  phone: string | null;
  /** The addresses, each in its parts (ADR's street, city, region, postal code and country fields). */
  addresses: readonly VcardAddress[];
}

/** One postal address of a card: text as in the snapshot, `null` or empty for a part it does not have. */
export interface VcardAddress {
  street: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

/** The media type of a `.vcf` file. */
export const VCARD_MEDIA_TYPE = 'text/vcard; charset=utf-8';

/** The longest a line may be, line break excluded (RFC 2425 §5.8.1). */
export const VCARD_LINE_OCTETS = 75;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** What `escapeText` changes besides a lone surrogate: a control character, `\\`, `,`, `;` or a line break. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const ESCAPED = /[\u0000-\u001F\u007F\\,;]/;

/** A text value (RFC 2426 §4): escaped so that it stays one value of one property. */
export function escapeText(value: string): string {
  // Most values (names, e-mail addresses, phones) need nothing: one test instead of four passes.
  if (!ESCAPED.test(value) && value.isWellFormed()) return value;
  return value
    .toWellFormed()
    .replace(CONTROL, ' ')
    .replace(/[\\,;]/g, (character) => `\\${character}`)
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** UTF-8 length of one code point. */
function octets(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * Whether `line` is at most 75 octets in UTF-8, counted per UTF-16 unit: a surrogate as 3 octets, as a lone
 * one is written, so a pair (4 octets) counts 6 and a line near the limit is left to `foldLine`'s exact count.
 */
function fitsOneLine(line: string): boolean {
  if (line.length > VCARD_LINE_OCTETS) return false;
  let used = 0;
  for (let i = 0; i < line.length; i++) {
    const unit = line.charCodeAt(i);
    used += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return used <= VCARD_LINE_OCTETS;
}

/**
 * Folds one content line: CRLF and a space before the line would pass 75 octets. It never breaks inside a
 * character (a UTF-8 sequence, a surrogate pair) nor between a backslash and what it escapes: the spec
 * allows the latter, but readers that unescape before unfolding would see a lone backslash.
 */
export function foldLine(line: string): string {
  // Most lines fit: one count first, without building a copy a character at a time.
  if (fitsOneLine(line)) return `${line}\r\n`;
  let folded = '';
  let used = 0;
  for (let i = 0; i < line.length; ) {
    const codePoint = line.codePointAt(i) ?? 0;
    let unit = codePoint > 0xffff ? 2 : 1;
    let size = octets(codePoint);
    if (codePoint === 0x5c && i + 1 < line.length) {
      // An escape is a backslash and one ASCII character.
      unit = 2;
      size = 2;
    }
    if (used + size > VCARD_LINE_OCTETS) {
      folded += '\r\n ';
      used = 1;
    }
    folded += line.slice(i, i + unit);
    used += size;
    i += unit;
  }
  return `${folded}\r\n`;
}

function property(name: string, value: string): string {
  return foldLine(`${name}:${value}`);
}

function filled(value: string | null): value is string {
  return value !== null && value.trim() !== '';
}

/** One contact's card, CRLF line breaks included. */
export function formatVcard(contact: VcardContact): string {
  let card = 'BEGIN:VCARD\r\nVERSION:3.0\r\n';
  card += property(
    'N',
    [contact.familyName, contact.givenName, '', '', ''].map((part) => escapeText(part ?? '')).join(';'),
  );
  card += property('FN', escapeText(contact.name.trim() ? contact.name : contact.uid));
  if (filled(contact.organisation)) card += property('ORG', escapeText(contact.organisation));
  if (filled(contact.title)) card += property('TITLE', escapeText(contact.title));
  if (filled(contact.email)) card += property('EMAIL;TYPE=INTERNET', escapeText(contact.email.trim()));
  if (filled(contact.phone)) card += property('TEL;TYPE=WORK,VOICE', escapeText(contact.phone.trim()));
  for (const address of contact.addresses) {
    // ADR: post office box; extended address; street; city; region; postal code; country (RFC 2426 §3.2.1).
    const parts = [address.street, address.city, address.region, address.postalCode, address.country];
    if (parts.some(filled)) {
      card += property('ADR;TYPE=WORK', `;;${parts.map((part) => escapeText(part?.trim() ?? '')).join(';')}`);
    }
  }
  card += property('UID', escapeText(contact.uid));
  return `${card}END:VCARD\r\n`;
}

/** Many cards, one after the other: a `.vcf` file. */
export function formatVcards(contacts: Iterable<VcardContact>): string {
  let text = '';
  for (const contact of contacts) text += formatVcard(contact);
  return text;
}
