/**
 * Phone numbers, read once at publish with libphonenumber-js: each contact's number gets its E.164 form, its
 * national form, its extension and its RFC 3966 `tel:` URI, which the site and the search
 * then use as they are. A number without a country code is read as a number of the default country
 * (`QWOTY_DEFAULT_COUNTRY`). A number the library cannot read, or whose length is impossible for its
 * country, gets none: the site shows it as sent, without a link, and the quality report names it.
 *
 * No international form is kept: its digits are the E.164 form's, and formatting it costs about as much as
 * reading the number, which is most of the time this adds to a publish.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ParsedPhone } from '../shared/schema/published.ts';

/** Default of QWOTY_DEFAULT_COUNTRY. */
export const DEFAULT_PHONE_COUNTRY = 'FR';

/** True when libphonenumber-js knows `code` (ISO 3166-1 alpha-2, upper case) as a country of numbers. */
export function isPhoneCountry(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

/**
 * The number `phone` as libphonenumber-js reads it, or null when it cannot: text around the number
 * ("call +33…"), two numbers in one field, letters, or a length no number of that country has.
 */
export function parsePhone(
  phone: string | null,
  defaultCountry: string = DEFAULT_PHONE_COUNTRY,
): ParsedPhone | null {
  const text = phone?.trim();
  if (!text) return null;
  const parsed = parsePhoneNumberFromString(text, {
    ...(isPhoneCountry(defaultCountry) ? { defaultCountry } : {}),
    // The whole field must be the number: "+33 6 12 34 56 78;+1" is not read as its first half.
    extract: false,
  });
  if (!parsed?.isPossible()) return null;
  return {
    e164: parsed.number,
    national: parsed.formatNational(),
    extension: parsed.ext ?? null,
    uri: parsed.getURI(),
    country: parsed.country ?? null,
  };
}
