/**
 * The language and time zone people read the site and the XLSX export in. Both are settings of the fetch
 * (the XLSX export is written there) and of the site build, declared once in `FETCH_SETTINGS`.
 */
import { z } from 'zod';

/** The languages the site and the XLSX export are written in (`LANGS` of `src/site/shared/text.ts`). */
export const SITE_LANGS = ['en', 'fr'] as const;
export type SiteLang = (typeof SITE_LANGS)[number];

/** The time zone when none is set: where a French-speaking office most likely is, else UTC. */
export const DEFAULT_TIME_ZONES: Record<SiteLang, string> = { en: 'UTC', fr: 'Europe/Paris' };

/** An IANA time zone name `Intl` knows (`Europe/Paris`, `UTC`), or `null` when none was set. */
export const timeZoneSchema = z
  .string()
  .trim()
  .refine(isTimeZone, { error: 'expected a time zone name such as Europe/Paris or UTC' })
  .optional()
  .transform((value) => value ?? null);

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The time zone set, or the language's default. */
export function resolveTimeZone(lang: SiteLang, timeZone: string | null): string {
  return timeZone ?? DEFAULT_TIME_ZONES[lang];
}
