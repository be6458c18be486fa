/** Formatting shared by the pages: one place decides how dates, counts and sizes read. */

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});
const numberFormat = new Intl.NumberFormat('en-GB');

/** "15 January 2026 at 03:00 UTC". */
export function formatDate(iso: string): string {
  return `${dateFormat.format(new Date(iso))} UTC`;
}

/** "100,000". */
export function formatCount(count: number): string {
  return numberFormat.format(count);
}

/** "1 contact", "2 contacts". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** "12.3 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A `tel:` URL: the number's leading `+` and digits only. */
export function telHref(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  return `tel:${digits.startsWith('+') ? `+${digits.slice(1).replace(/\+/g, '')}` : digits.replace(/\+/g, '')}`;
}

/**
 * A mail address worth a link: letters, digits and `.!$'*+/=^_\`{|}~-` before the `@` (any script), a domain of
 * two or more dot-separated labels after it. Stricter than the HTML "valid e-mail address" on purpose: no `?`
 * (it starts the headers of a `mailto:` URL, so `?bcc=` or `?body=` rides along), no `&` (it joins those
 * headers), no `%` (it would be decoded into either), no `#`, and no `,` or `;`, which list more recipients.
 */
const LINKABLE_EMAIL =
  /^[\p{L}\p{M}\p{N}.!$'*+/=^_`{|}~-]+@[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?(?:\.[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?)+$/u;

/**
 * The `mailto:` URL for an email address, or `null` when the address is not one a link can carry as it is:
 * the page then shows it as text, so that no crafted address can add hidden recipients, headers or a body.
 * Spaces around the address are not part of it.
 */
export function mailtoHref(email: string): string | null {
  const address = email.trim();
  return LINKABLE_EMAIL.test(address) ? `mailto:${address}` : null;
}

/** Human label of a role value: `decision_maker` → "decision maker". */
export function roleLabel(role: string): string {
  return role.replace(/_/g, ' ');
}
