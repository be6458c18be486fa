import { afterEach, describe, expect, test } from 'vitest';
import { provideSiteContext, type SiteContext } from '../../src/site/build/site-context.ts';
import { siteKey, siteText } from '../../src/site/build/site-text.ts';

const context = (fields: Partial<SiteContext>): SiteContext => ({
  dataDir: '/nowhere',
  staleAfterHours: 36,
  lang: 'en',
  timeZone: null,
  siteUrl: null,
  ...fields,
});

const KEY = Symbol.for('qwoty.site-context');
afterEach(() => {
  delete (globalThis as { [KEY]?: unknown })[KEY];
});

describe('siteText', () => {
  test("speaks the language and the time zone of the build's context, whichever came before", () => {
    provideSiteContext(context({ lang: 'fr' }));
    const french = siteText();
    expect([french.lang, french.timeZone]).toEqual(['fr', 'Europe/Paris']);
    expect(siteText()).toBe(french);
    provideSiteContext(context({ lang: 'en', timeZone: 'Asia/Tokyo' }));
    expect([siteText().lang, siteText().timeZone]).toEqual(['en', 'Asia/Tokyo']);
    expect(siteKey()).toEqual({ lang: 'en', timeZone: 'Asia/Tokyo', siteUrl: null });
  });

  test('is made anew for a new context, even in the same language: nothing is kept from an earlier build', () => {
    provideSiteContext(context({ lang: 'en' }));
    const first = siteText();
    provideSiteContext(context({ lang: 'en' }));
    expect(siteText()).not.toBe(first);
    expect(siteText().lang).toBe('en');
  });
});
