/**
 * Formatting shared by the pages and the scripts: one place decides how dates, counts and sizes read, through
 * `Intl` in the site's locale (`LOCALES` in `text.ts`; pages reach these through `Text`).
 */

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let format = cache.get(key);
  if (!format) {
    format = make();
    cache.set(key, format);
  }
  return format as T;
}

/**
 * "15 January 2026 at 03:00 UTC" in `en-GB`, "15 janvier 2026 à 04:00 (Europe/Paris)" in `fr-FR` with that
 * zone: the wall-clock time in `timeZone`, the zone named after it.
 */
export function formatDate(iso: string, locale: string, timeZone = 'UTC'): string {
  const format = cached(
    `date ${locale} ${timeZone}`,
    () => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone }),
  );
  const when = format.format(new Date(iso));
  return timeZone === 'UTC' ? `${when} UTC` : `${when} (${timeZone})`;
}

/** "100,000" in `en-GB`, "100 000" in `fr-FR`. */
export function formatCount(count: number, locale: string): string {
  return cached(`count ${locale}`, () => new Intl.NumberFormat(locale)).format(count);
}

const UNITS = ['kilobyte', 'megabyte', 'gigabyte'] as const;

/** "512 bytes", "12.3 MB" in `en-GB`; "512 octets", "12,3 Mo" in `fr-FR` (powers of 1024). */
export function formatBytes(bytes: number, locale: string): string {
  if (bytes < 1024) {
    return cached(
      `byte ${locale}`,
      () => new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte', unitDisplay: 'long' }),
    ).format(bytes);
  }
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  const name = UNITS[unit] ?? 'gigabyte';
  return cached(
    `${name} ${digits} ${locale}`,
    () =>
      new Intl.NumberFormat(locale, {
        style: 'unit',
        unit: name,
        unitDisplay: 'short',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }),
  ).format(value);
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
 * The address a mail client may be given, trimmed, or `null` when it is not one address as it stands: the one
 * rule for everything bound for a mail client (`mailto:` links, "Copy N emails"), so that no crafted value can
 * add hidden recipients, headers or a body.
 */
export function mailAddress(email: string): string | null {
  const address = email.trim();
  return LINKABLE_EMAIL.test(address) ? address : null;
}

/**
 * The `mailto:` URL for an email address, or `null` when the address is not one a link can carry as it is
 * (see `mailAddress`): the page then shows it as text.
 */
export function mailtoHref(email: string): string | null {
  const address = mailAddress(email);
  return address === null ? null : `mailto:${address}`;
}

/**
 * An identifier cut after each of its separators (`-`, `_`, `.`, `/`, `:`): the pieces between which a
 * narrow column may wrap it, with a `<wbr>`, and nowhere else ("CRM-411001-11", not "411001/11").
 */
export function idPieces(id: string): string[] {
  return id.split(/(?<=[-_./:])/);
}
