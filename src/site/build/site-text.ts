/**
 * The language of this build and its words: `QWOTY_SITE_LANG` (default `en`), checked with the other site
 * settings before Astro starts and handed to the pages in the site context.
 *
 * A page the incremental build may copy from an earlier build puts `siteLang()` in its cache key: a build
 * in another language renders it again.
 */
import { MESSAGES } from '../shared/i18n.ts';
import { createText, type Lang, type Text } from '../shared/text.ts';
import { siteContext } from './site-context.ts';

let text: Text | undefined;

/** The words of the site being built. */
export function siteText(): Text {
  const { lang } = siteContext();
  if (text?.lang !== lang) text = createText(lang, MESSAGES[lang]);
  return text;
}

/** The language of the site being built. */
export function siteLang(): Lang {
  return siteText().lang;
}
