/**
 * The language of this build and its words: `QWOTY_SITE_LANG` (default `en`), checked with the other site
 * settings before Astro starts and handed to the pages in the site context.
 *
 * A page the incremental build may copy from an earlier build puts `siteLang()` in its cache key: a build
 * in another language renders it again.
 */

import { resolveTimeZone } from '../../shared/locale.ts';
import { MESSAGES } from '../shared/i18n.ts';
import { siteUrl } from '../shared/site-url.ts';
import { createText, type Lang, type Text } from '../shared/text.ts';
import { type SiteContext, siteContext } from './site-context.ts';

/**
 * The words of each build, by the context it gave its pages: a build (another language, another time zone)
 * gets its own, and none outlives its context, so there is nothing to reset between builds or tests.
 */
const texts = new WeakMap<SiteContext, Text>();

/** The words of the site being built, its times in its time zone. */
export function siteText(): Text {
  const context = siteContext();
  let text = texts.get(context);
  if (!text) {
    text = createText(context.lang, MESSAGES[context.lang], siteTimeZone());
    texts.set(context, text);
  }
  return text;
}

/** The time zone of the times the site shows: `QWOTY_SITE_TIME_ZONE`, else the language's default. */
export function siteTimeZone(): string {
  const { lang, timeZone } = siteContext();
  return resolveTimeZone(lang, timeZone);
}

/**
 * What, beyond its data, a page the incremental build may copy is rendered with: its language, the time zone
 * of its times and the site's address in its canonical link. A build with other settings renders it again.
 */
export function siteKey(): { lang: Lang; timeZone: string; siteUrl: string | null } {
  return { lang: siteLang(), timeZone: siteTimeZone(), siteUrl: siteContext().siteUrl };
}

/**
 * `path` (from the site's root) as a link: absolute under `QWOTY_SITE_URL` when it is set, else as it is.
 */
export function siteHref(path: string): string {
  const { siteUrl: address } = siteContext();
  if (!address) return path;
  // The address names the base path already (`https://intranet/contacts/`): a path that went through
  // `siteUrl` (`/contacts/changes/`) or one from the site's root (`/changes/`) lands under it once.
  const base = siteUrl('/');
  const relative = path.startsWith(base) ? path.slice(base.length) : path.replace(/^\/+/, '');
  return new URL(relative, address).href;
}

/** The language of the site being built. */
export function siteLang(): Lang {
  return siteText().lang;
}
