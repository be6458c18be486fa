/**
 * The language of this build and its words: `QWOTY_SITE_LANG` (default `en`), read once per build.
 * `npm run build` checks the value before Astro starts, so a wrong one stops it with one sentence.
 *
 * A page the incremental build may copy from an earlier build puts `siteLang()` in its cache key: a build
 * in another language renders it again.
 */
import { MESSAGES } from '../shared/i18n.ts';
import { createText, type Lang, parseSiteLang, type Text } from '../shared/text.ts';

let text: Text | undefined;

/** The words of the site being built. */
export function siteText(): Text {
  if (!text) {
    const lang: Lang = parseSiteLang(process.env.QWOTY_SITE_LANG);
    text = createText(lang, MESSAGES[lang]);
  }
  return text;
}

/** The language of the site being built. */
export function siteLang(): Lang {
  return siteText().lang;
}
