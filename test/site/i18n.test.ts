import { describe, expect, test } from 'vitest';
import { siteSettingsFromEnv } from '../../src/site/build/site-settings.ts';
import { en, fr, MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText, LANGS, type Message } from '../../src/site/shared/text.ts';

const parseSiteLang = (value: string | undefined) => siteSettingsFromEnv({ QWOTY_SITE_LANG: value }).lang;

const placeholders = (message: Message) =>
  [...(typeof message === 'string' ? [message] : Object.values(message)).join(' ').matchAll(/\{(\w+)\}/g)]
    .map((match) => match[1])
    .filter((name, index, all) => all.indexOf(name) === index)
    .sort();

describe('the language tables', () => {
  test('have the same keys in every language', () => {
    for (const lang of LANGS) {
      expect(Object.keys(MESSAGES[lang]).sort(), lang).toEqual(Object.keys(en).sort());
    }
  });

  test('give each key the same kind of message and the same placeholders in every language', () => {
    for (const [key, english] of Object.entries(en)) {
      const french = (fr as Record<string, Message>)[key];
      expect(typeof french, key).toBe(typeof english);
      expect(placeholders(french ?? ''), key).toEqual(placeholders(english));
    }
  });

  test('leave nothing in English in French but the words both languages share', () => {
    const same = Object.keys(en).filter(
      (key) =>
        JSON.stringify((fr as Record<string, Message>)[key]) ===
        JSON.stringify((en as Record<string, Message>)[key]),
    );
    expect(same.sort()).toEqual(
      [
        // Patterns without words, formats and brands.
        'site.pageTitle',
        'filter.option',
        'client.search.option',
        'letters.item',
        'downloads.meta',
        'downloads.contacts.csv',
        'downloads.contacts.xlsx',
        'downloads.contacts.json',
        'system.crm',
        'system.erp',
        // The JSON type `null` is its own name.
        'jsonType.null',
        // Words spelled the same in French.
        'col.contact',
        'customer.type',
        'customer.contacts',
        'client.search.customerContacts',
        'entity.contact',
        'quality.colPosition',
      ].sort(),
    );
  });
});

describe('createText', () => {
  const english = createText('en', MESSAGES.en);
  const french = createText('fr', MESSAGES.fr);

  test('fills placeholders, writing numbers in the locale', () => {
    expect(english.t('client.filter.showing', { shown: 1200, total: 3400 })).toBe(
      'Showing 1,200 of 3,400 contacts.',
    );
    expect(french.t('client.filter.showing', { shown: 1200, total: 3400 })).toBe(
      '1\u202f200 contacts affichés sur 3\u202f400.',
    );
  });

  test('picks plural forms by the locale: French counts 0 as one, and has a form for millions', () => {
    expect([0, 1, 2].map((count) => english.n('count.customers', count))).toEqual([
      '0 customers',
      '1 customer',
      '2 customers',
    ]);
    expect([0, 1, 2, 1_000_000].map((count) => french.n('count.customers', count))).toEqual([
      '0 client',
      '1 client',
      '2 clients',
      '1\u202f000\u202f000 de clients',
    ]);
  });

  test('words the export buttons and messages by the count, in the locale of each language', () => {
    expect([1, 12345].map((count) => english.n('client.export.downloadResults', count))).toEqual([
      'Download 1 result (CSV)',
      'Download 12,345 results (CSV)',
    ]);
    expect([0, 1, 12345, 2_000_000].map((count) => french.n('client.export.downloadResults', count))).toEqual(
      [
        'Télécharger 0 résultat (CSV)',
        'Télécharger 1 résultat (CSV)',
        'Télécharger les 12\u202f345 résultats (CSV)',
        'Télécharger les 2\u202f000\u202f000 de résultats (CSV)',
      ],
    );
    expect(english.n('client.export.downloaded', 2, { file: 'a.csv' })).toBe(
      'Downloaded 2 contacts as a.csv.',
    );
    expect(french.n('client.export.downloaded', 1, { file: 'a.csv' })).toBe(
      '1 contact téléchargé dans a.csv.',
    );
    expect(french.n('client.export.copied', 1500)).toBe(
      '1\u202f500 adresses e-mail copiées dans le presse-papiers, séparées par des virgules.',
    );
    expect(french.t('client.export.copyFailed', { reason: 'refusé' })).toBe(
      'Les adresses e-mail n’ont pas pu être copiées (refusé).',
    );
  });

  test('cuts a message around the slot an element fills', () => {
    expect(english.around('changes.since', 'date')).toEqual(['Since ', '']);
    expect(french.around('contacts.saveContact', 'name')).toEqual(['Enregistrer le contact', ' (.vcf)']);
    expect(french.around('report.more', 'link', { count: 5 })).toEqual([
      'Et 5 de plus\u00a0: ',
      ', qui les liste tous.',
    ]);
  });

  test('writes dates and sizes through Intl', () => {
    expect(english.date('2026-01-15T03:00:00.000Z')).toBe('15 January 2026 at 03:00 UTC');
    expect(french.date('2026-01-15T03:00:00.000Z')).toBe('15 janvier 2026 à 03:00 UTC');
    // In a time zone: its wall-clock time, summer time included, the zone named.
    const paris = createText('fr', MESSAGES.fr, 'Europe/Paris');
    expect(paris.date('2026-01-15T03:00:00.000Z')).toBe('15 janvier 2026 à 04:00 (Europe/Paris)');
    expect(paris.date('2026-07-15T23:30:00.000Z')).toBe('16 juillet 2026 à 01:30 (Europe/Paris)');
    expect([english.bytes(512), english.bytes(12.3 * 1024 * 1024)]).toEqual(['512 bytes', '12 MB']);
    expect([french.bytes(512), french.bytes(1.5 * 1024)]).toEqual(['512\u00a0octets', '1,5\u202fko']);
  });

  test('names known values of the data, and shows others as they come', () => {
    expect(french.value('role', 'decision_maker')).toBe('décideur');
    expect(french.value('role', 'procurement_lead')).toBe('procurement lead');
  });

  test('gives a script only the messages of its prefix', () => {
    expect(Object.keys(JSON.parse(french.pick('client.filter.')))).toEqual(['client.filter.showing']);
  });
});

describe('the QWOTY_SITE_LANG setting', () => {
  test('elides "de" before a vowel or a mute h in French, and nowhere else', () => {
    const french = createText('fr', MESSAGES.fr);
    const english = createText('en', MESSAGES.en);
    expect(french.t('contacts.caption', { name: 'Azur' })).toBe("Contacts d'Azur");
    expect(french.t('contacts.caption', { name: 'Élysée Conseil' })).toBe("Contacts d'Élysée Conseil");
    expect(french.t('contacts.caption', { name: 'Hôtel du Lac' })).toBe("Contacts d'Hôtel du Lac");
    expect(french.t('contacts.caption', { name: 'Hachette' })).toBe('Contacts de Hachette');
    expect(french.t('contacts.caption', { name: 'Bureau Veritas' })).toBe('Contacts de Bureau Veritas');
    expect(french.t('contacts.caption', { name: '3M' })).toBe('Contacts de 3M');
    expect(english.t('contacts.caption', { name: 'Azur' })).toBe('Contacts of Azur');
  });

  test('defaults to English and takes the languages it has, in any case', () => {
    expect(parseSiteLang(undefined)).toBe('en');
    expect(parseSiteLang(' ')).toBe('en');
    expect(parseSiteLang('FR')).toBe('fr');
  });

  test.each(['de', 'french', 'fr-FR'])('refuses %j with the variable named', (value) => {
    expect(() => parseSiteLang(value)).toThrow(/^QWOTY_SITE_LANG is invalid \(expected one of en, fr\)/);
  });
});
