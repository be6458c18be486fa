import { describe, expect, test } from 'vitest';
import { siteSettingsFromEnv } from '../../src/site/build/site-settings.ts';
import { siteUrl } from '../../src/site/shared/site-url.ts';

describe('QWOTY_SITE_BASE', () => {
  test.each([
    [undefined, '/'],
    ['/', '/'],
    ['/contacts/', '/contacts/'],
    ['contacts', '/contacts/'],
    [' /intranet/contacts ', '/intranet/contacts/'],
  ])('reads %j as the base %j', (given, base) => {
    expect(siteSettingsFromEnv({ QWOTY_SITE_BASE: given }).base).toBe(base);
  });

  test.each(['/a b/', '/contacts/?x=1', '/../etc/', '/"onload/'])('refuses %j with one sentence', (given) => {
    expect(() => siteSettingsFromEnv({ QWOTY_SITE_BASE: given })).toThrow(/QWOTY_SITE_BASE.*expected a path/);
  });
});

describe('siteUrl', () => {
  test('puts a path under the base Vite gives, with one slash between', () => {
    // vitest's base is `/`, like a site served at the top of its host.
    expect(siteUrl('/customers/42/')).toBe('/customers/42/');
    expect(siteUrl('changes/feed.xml')).toBe('/changes/feed.xml');
    expect(siteUrl('/')).toBe('/');
  });
});
