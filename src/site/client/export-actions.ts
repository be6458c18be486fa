/**
 * What the export buttons of the home and customer pages share: saving text as a file, the clipboard, and
 * which emails to copy. Files are made in the page (a `Blob`); nothing is sent anywhere.
 */
import { mailAddress } from '../shared/format.ts';
import { fold } from '../shared/search.ts';
import type { Text } from '../shared/text.ts';

/** Offers `parts` as a download named `name`, as a link with `download` would. */
export function saveFile(name: string, parts: BlobPart[], type: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by now; the URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Puts `value` on the clipboard; rejects when the browser refuses (no permission, not a secure context), saying
 * why in the words of `text` where the page can tell.
 */
export async function copyText(value: string, text: Text): Promise<void> {
  if (!navigator.clipboard) throw new Error(text.t('client.export.noClipboard'));
  await navigator.clipboard.writeText(value);
}

/** The emails of some contacts, sorted by what a mail client may be given. */
export interface MailRecipients {
  /** The addresses a `mailto:` link would carry: each once (whatever its case), trimmed, in the order given. */
  addresses: string[];
  /** The values that are not one address as they stand ("a@x.com, evil@y.com"), each once, trimmed. */
  leftOut: string[];
}

/**
 * Sorts `emails` by the rule of `mailto:` links (`mailAddress`), so that a crafted value cannot paste a hidden
 * recipient into a To line; contacts without an email are skipped.
 */
export function mailRecipients(emails: Iterable<string | null | undefined>): MailRecipients {
  const seen = new Set<string>();
  const recipients: MailRecipients = { addresses: [], leftOut: [] };
  for (const email of emails) {
    const trimmed = email?.trim();
    if (!trimmed) continue;
    const key = trimmed.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (mailAddress(trimmed) === null) recipients.leftOut.push(trimmed);
    else recipients.addresses.push(trimmed);
  }
  return recipients;
}

/** How many left-out values the status names; past that it says how many more. */
const LEFT_OUT_NAMED = 10;

/**
 * A file name made of the words of `parts`, without case, accents, spaces or punctuation, so it is safe on
 * every system: "contacts-jean-dupont-buyer-de.csv".
 */
export function fileName(parts: readonly string[], extension: string, fallback = 'contacts'): string {
  const words = parts.flatMap((part) => fold(part).match(/[\p{L}\p{N}]+/gu) ?? []);
  const stem = Array.from(words.join('-')).slice(0, 60).join('').replace(/-$/, '');
  return `${stem || fallback}.${extension}`;
}

/**
 * A CSV download started from `button`: `status` says it is being prepared (`count` contacts), then which
 * file was saved and with how many rows, or why it failed; the button is disabled meanwhile.
 */
export async function downloadCsv(
  controls: { button: HTMLButtonElement; status: HTMLElement; text: Text },
  count: number,
  make: () => Promise<{ name: string; parts: BlobPart[]; rows: number }>,
): Promise<void> {
  const { button, status, text } = controls;
  button.disabled = true;
  status.textContent = text.n('client.export.preparing', count);
  try {
    const { name, parts, rows } = await make();
    saveFile(name, parts, 'text/csv;charset=utf-8');
    status.textContent = text.n('client.export.downloaded', rows, { file: name });
  } catch (error) {
    status.textContent = text.t('client.export.downloadFailed', { reason: reasonOf(error) });
  } finally {
    button.disabled = false;
  }
}

/**
 * Copies the addresses of `recipients` to the clipboard, one line for a mail's To field; `status` says how
 * many and names the values left out, or says why nothing was copied.
 */
export async function copyEmails(recipients: MailRecipients, status: HTMLElement, text: Text): Promise<void> {
  const { addresses, leftOut } = recipients;
  try {
    await copyText(addresses.join(', '), text);
    status.textContent = text.n('client.export.copied', addresses.length);
    if (leftOut.length > 0) status.textContent += ` ${leftOutMessage(leftOut, text)}`;
  } catch (error) {
    status.textContent = text.t('client.export.copyFailed', { reason: reasonOf(error) });
  }
}

/** "Left out 2 values that are not one address: "a@x.com, evil@y.com", "b@x.com?bcc=c@y.com"." */
export function leftOutMessage(leftOut: readonly string[], text: Text): string {
  const named = leftOut.slice(0, LEFT_OUT_NAMED).map((value) => `"${value}"`);
  const more = leftOut.length - named.length;
  const values =
    more > 0 ? `${named.join(', ')} ${text.n('client.export.leftOutMore', more)}` : named.join(', ');
  return text.n('client.export.leftOut', leftOut.length, { values });
}

/** What an error says, for a status message. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
