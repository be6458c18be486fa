/**
 * The site's words in one language: look-ups in the tables of `i18n.ts` with `{name}` placeholders, plural
 * forms chosen by `Intl.PluralRules`, and numbers and dates through `Intl` in the same locale. Isomorphic: the
 * build renders with the whole table, and a browser script gets only the messages its element carries
 * (`pick` at build time, `textFromData` in the browser), so no script bundles a table.
 */
import { formatBytes, formatCount, formatDate } from './format.ts';
import type { Messages } from './i18n.ts';

/** The languages the site is written in; `QWOTY_SITE_LANG` picks one at build time. */
export const LANGS = ['en', 'fr'] as const;
export type Lang = (typeof LANGS)[number];

/** The `Intl` locale of each language: dates and numbers as people there write them. */
export const LOCALES: Record<Lang, string> = { en: 'en-GB', fr: 'fr-FR' };

/** A message that depends on a count: `Intl.PluralRules` picks the form, `other` when a form is absent. */
export interface PluralForms {
  one: string;
  other: string;
  /** French uses it for round millions ("1 000 000 de contacts"). */
  many?: string;
}
export type Message = string | PluralForms;

export type TextKey = keyof Messages;
/** Keys of plain messages. */
export type StringKey = { [K in TextKey]: Messages[K] extends string ? K : never }[TextKey];
/** Keys of messages with plural forms. */
export type PluralKey = Exclude<TextKey, StringKey>;
/** Values put in place of `{name}`: numbers are written in the language's locale. */
export type Params = Record<string, string | number>;

export interface Text {
  lang: Lang;
  locale: string;
  /** The time zone dates are shown in, named after each (`UTC`, `Europe/Paris`). */
  timeZone: string;
  /** The message, placeholders filled. A key the messages lack reads as the key itself. */
  t(key: StringKey, params?: Params): string;
  /** The plural form for `count`, with `{count}` (and any other placeholder) filled. */
  n(key: PluralKey, count: number, params?: Params): string;
  /**
   * The message cut at the `{slot}` placeholder, other placeholders filled: what goes before and after an
   * element (a link, a `<time>`) that the page puts in the slot.
   */
  around(key: StringKey, slot: string, params?: Params): [string, string];
  /** A known value of the data in words (a role, an address type), else the value with `_` as spaces. */
  value(
    kind: 'role' | 'addressType' | 'customerType' | 'entity' | 'field' | 'jsonType',
    value: string,
  ): string;
  /** "100,000" / "100 000". */
  count(value: number): string;
  /** "15 January 2026 at 03:00 UTC" / "15 janvier 2026 à 04:00 (Europe/Paris)". */
  date(iso: string): string;
  /** "12.3 MB" / "12,3 Mo". */
  bytes(value: number): string;
  /** The messages whose keys start with `prefix`, as JSON for a `data-text` attribute a script reads. */
  pick(prefix: string): string;
}

function fill(template: string, params: Params | undefined, count: (value: number) => string): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? count(value) : value;
  });
}

/**
 * A word French writes elided before a vowel or a mute h: "de Azur" is "d'Azur", "de Hôtel Dieu" "d'Hôtel
 * Dieu". An h is taken as mute only at the start of the usual mute-h words (hôtel, habitat, heure, histoire,
 * homme, huile, humain, hyper…), since a name with an aspirated h ("de Hachette") keeps its "de".
 */
const ELIDES = /^(?:[aeiouyàâäéèêëîïôöùûüœæ]|h(?:ô|ab|eur|ist|om|ui|um|yp|er|ôp|ôt|orl|orti|yd))/iu;

/** French elision of "de" before a placeholder whose value starts with a vowel or a mute h. */
function elide(template: string, params: Params | undefined): string {
  if (!params || !template.includes('de {')) return template;
  return template.replace(/(^|[\s(])([Dd])e \{(\w+)\}/g, (whole, before: string, d: string, name: string) => {
    const value = params[name];
    return typeof value === 'string' && ELIDES.test(value.trimStart()) ? `${before}${d}'{${name}}` : whole;
  });
}

/**
 * The words of `lang` from `messages` (the whole table at build time, a script's share in the browser), times
 * in `timeZone`.
 */
export function createText(lang: Lang, messages: Partial<Record<TextKey, Message>>, timeZone = 'UTC'): Text {
  const locale = LOCALES[lang];
  const rules = new Intl.PluralRules(locale);
  const count = (value: number) => formatCount(value, locale);
  const words = (template: string, params: Params | undefined) =>
    fill(lang === 'fr' ? elide(template, params) : template, params, count);
  const picked = new Map<string, string>();
  const plain = (key: string): string | undefined => {
    const message = messages[key as TextKey];
    return typeof message === 'string' ? message : undefined;
  };
  const text: Text = {
    lang,
    locale,
    timeZone,
    t: (key, params) => words(plain(key) ?? key, params),
    n: (key, value, params) => {
      const forms = messages[key];
      if (!forms || typeof forms === 'string') return key;
      const form = forms[rules.select(value) as keyof PluralForms] ?? forms.other;
      return words(form, { count: value, ...params });
    },
    around: (key, slot, params) => {
      const [before = '', after = ''] = (plain(key) ?? key).split(`{${slot}}`);
      return [fill(before, params, count), fill(after, params, count)];
    },
    value: (kind, value) => plain(`${kind}.${value}`) ?? value.replace(/_/g, ' '),
    count,
    date: (iso) => formatDate(iso, locale, timeZone),
    bytes: (value) => formatBytes(value, locale),
    pick: (prefix) => {
      // Every page asks for the same few tables: each is made once per text, not once per page.
      let table = picked.get(prefix);
      if (table === undefined) {
        table = JSON.stringify(
          Object.fromEntries(Object.entries(messages).filter(([key]) => key.startsWith(prefix))),
        );
        picked.set(prefix, table);
      }
      return table;
    },
  };
  return text;
}

/**
 * In the browser: the words an element carries in its `data-text` (see `Text.pick`), in the page's language
 * (`<html lang>`).
 */
export function textFromData(element: HTMLElement | null | undefined): Text {
  const lang = document.documentElement.lang;
  let messages: Partial<Record<TextKey, Message>> = {};
  try {
    messages = JSON.parse(element?.dataset.text ?? '{}');
  } catch {
    // An unreadable table shows the keys: a visible mistake rather than a broken script.
  }
  return createText((LANGS as readonly string[]).includes(lang) ? (lang as Lang) : 'en', messages);
}
