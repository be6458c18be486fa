import { describe, expect, test } from 'vitest';
import { siteSettingsFromEnv } from '../../src/site/build/site-settings.ts';
import { formatAge, staleMessage } from '../../src/site/client/staleness.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';

const staleAfterHours = (value: string | undefined) =>
  siteSettingsFromEnv({ QWOTY_STALE_AFTER_HOURS: value }).staleAfterHours;
const en = createText('en', MESSAGES.en);
const fr = createText('fr', MESSAGES.fr);

const TAKEN = '2026-11-30T03:00:00.000Z';
const at = (hoursLater: number) => Date.parse(TAKEN) + hoursLater * 3_600_000;

describe('staleMessage', () => {
  test('says nothing up to the limit, and from just past it says how old the snapshot is', () => {
    expect(staleMessage(TAKEN, at(0), 36, en)).toBeNull();
    expect(staleMessage(TAKEN, at(36), 36, en)).toBeNull();
    expect(staleMessage(TAKEN, at(36.02), 36, en)).toMatch(
      /^This snapshot is 36 hours old: the nightly update/,
    );
    expect(staleMessage(TAKEN, at(24 * 9 + 5), 36, en)).toMatch(/^This snapshot is 9 days old/);
    expect(staleMessage(TAKEN, at(24 * 9 + 5), 36, fr)).toMatch(/^Cet instantané date de 9 jours\u00a0:/);
  });

  test('is off at 0 hours, and for a date it cannot read', () => {
    expect(staleMessage(TAKEN, at(24 * 365), 0, en)).toBeNull();
    expect(staleMessage('not a date', at(24 * 365), 36, en)).toBeNull();
  });
});

describe('formatAge', () => {
  test.each([
    [1, '1 hour'],
    [47.9, '47 hours'],
    [48, '2 days'],
    [24 * 30 + 23, '30 days'],
  ])('%d hours read as %s', (hours, text) => {
    expect(formatAge(hours * 3_600_000, en)).toBe(text);
  });

  test('reads in French in a French site', () => {
    expect(formatAge(1 * 3_600_000, fr)).toBe('1 heure');
    expect(formatAge(48 * 3_600_000, fr)).toBe('2 jours');
  });
});

describe('staleAfterHours (QWOTY_STALE_AFTER_HOURS)', () => {
  test('defaults to a nightly with a day of slack, and takes whole hours, 0 included', () => {
    expect(staleAfterHours(undefined)).toBe(36);
    expect(staleAfterHours(' ')).toBe(36);
    expect(staleAfterHours('72')).toBe(72);
    expect(staleAfterHours('0')).toBe(0);
  });

  test.each(['-1', '1.5', 'two days'])('refuses %j with the variable named', (value) => {
    expect(() => staleAfterHours(value)).toThrow(
      /QWOTY_STALE_AFTER_HOURS is invalid \(expected a whole number of hours/,
    );
  });
});
