import { describe, expect, test } from 'vitest';
import { DEFAULT_API_URL, parseFetchConfig } from '../src/pipeline/config.ts';
import { ConfigError, ExitCode } from '../src/shared/errors.ts';
import { resolveTimeZone } from '../src/shared/locale.ts';

const TOKEN = 'qwoty_live_0123456789abcdef';

function parse(env: Record<string, string | undefined>, argv: string[] = []) {
  const result = parseFetchConfig({ QWOTY_API_TOKEN: TOKEN, ...env }, argv);
  if (result.help) throw new Error('unexpected help');
  return result.config;
}

function failure(env: Record<string, string | undefined>, argv: string[] = []): ConfigError {
  try {
    parseFetchConfig(env, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseFetchConfig', () => {
  test('returns the documented defaults when only the token is set', () => {
    expect(parse({})).toEqual({
      token: TOKEN,
      apiUrl: DEFAULT_API_URL,
      dataDir: 'data',
      keepNights: 7,
      customerId: null,
      maxInvalidShare: 0.1,
      strict: false,
      allowShrink: false,
      concurrency: 8,
      timeoutMs: 120_000,
      retries: 6,
      deadlineMs: 30 * 60_000,
      maxListMb: 256,
      maxAnswerKb: 1024,
      maxRecordKb: 1024,
      maxDepth: 32,
      customerMaxAgeDays: 7,
      defaultCountry: 'FR',
      lang: 'en',
      timeZone: null,
      demo: false,
    });
  });

  test('reads the default phone country in any case, and refuses one libphonenumber-js does not know', () => {
    expect(parse({ QWOTY_DEFAULT_COUNTRY: ' be ' }).defaultCountry).toBe('BE');
    expect(parse({}, ['--default-country', 'DE']).defaultCountry).toBe('DE');
    expect(() => parse({ QWOTY_DEFAULT_COUNTRY: 'France' })).toThrow(
      /QWOTY_DEFAULT_COUNTRY must be a country code/,
    );
  });

  test('reads the caps on what one answer may cost from flags and the environment', () => {
    const config = parse({ QWOTY_MAX_LIST_MB: '64', QWOTY_MAX_DEPTH: '10' }, [
      '--max-answer-kb',
      '256',
      '--max-record-kb',
      '8',
    ]);
    expect(config).toMatchObject({ maxListMb: 64, maxAnswerKb: 256, maxRecordKb: 8, maxDepth: 10 });
  });

  test.each([
    'http://127.0.0.1:8787/api',
    'http://127.1.2.3/api',
    'http://localhost:8787/api',
    'http://[::1]:8787/api',
    'https://app.qwoty.io/api',
  ])('accepts %s as the API URL', (url) => {
    expect(parse({ QWOTY_API_URL: url }).apiUrl).toBe(url);
  });

  test('drops the slashes at the end of the API URL', () => {
    expect(parse({ QWOTY_API_URL: 'https://app.qwoty.io/api///' }).apiUrl).toBe('https://app.qwoty.io/api');
  });

  test('accepts any token prefix, since the docs disagree on it', () => {
    for (const token of ['qwoty_abc', 'qwoty_live_x', 'qwt_prod_y', 'anything-else']) {
      expect(parse({ QWOTY_API_TOKEN: token }).token).toBe(token);
    }
  });

  test('lets flags win over the environment', () => {
    const config = parse({ QWOTY_DATA_DIR: 'env-dir', QWOTY_MAX_INVALID: '0.5' }, [
      '--data-dir',
      'flag-dir',
      '--max-invalid',
      '5%',
      '--strict',
      '--allow-shrink',
      '--timeout',
      '2.5',
    ]);
    expect(config).toMatchObject({
      dataDir: 'flag-dir',
      maxInvalidShare: 0.05,
      strict: true,
      allowShrink: true,
      timeoutMs: 2500,
    });
  });

  test('reads the time zone the XLSX export shows, the language picking the default', () => {
    const paris = parse({ QWOTY_SITE_LANG: 'FR' });
    expect(paris).toMatchObject({ lang: 'fr', timeZone: null });
    expect(resolveTimeZone(paris.lang, paris.timeZone)).toBe('Europe/Paris');
    expect(resolveTimeZone('en', null)).toBe('UTC');
    const set = parse({ QWOTY_SITE_LANG: 'fr', QWOTY_SITE_TIME_ZONE: ' America/Montreal ' });
    expect(resolveTimeZone(set.lang, set.timeZone)).toBe('America/Montreal');
    expect(failure({ QWOTY_API_TOKEN: TOKEN, QWOTY_SITE_TIME_ZONE: 'Paris' }).message).toBe(
      'QWOTY_SITE_TIME_ZONE is invalid (expected a time zone name such as Europe/Paris or UTC); see `npm run fetch -- --help`.',
    );
  });

  test('strips a trailing slash from the API URL', () => {
    expect(parse({ QWOTY_API_URL: 'http://127.0.0.1:8080/api/' }).apiUrl).toBe('http://127.0.0.1:8080/api');
  });

  test('reads boolean environment variables the way people write them', () => {
    expect(parse({ QWOTY_STRICT: 'yes', QWOTY_ALLOW_SHRINK: '0' })).toMatchObject({
      strict: true,
      allowShrink: false,
    });
  });

  test('returns help without needing a token', () => {
    expect(parseFetchConfig({}, ['--help'])).toEqual({ help: true });
  });

  test.each([
    ['a missing token', {}, [], /QWOTY_API_TOKEN is not set/],
    ['an empty token', { QWOTY_API_TOKEN: '  ' }, [], /QWOTY_API_TOKEN is empty/],
    [
      'a non-http URL',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: 'ftp://x' },
      [],
      /QWOTY_API_URL must be an http/,
    ],
    [
      'a URL with credentials',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: 'https://u:p@qwoty.app/api' },
      [],
      /must not carry credentials/,
    ],
    [
      'a customer id that is not a UUID',
      { QWOTY_API_TOKEN: TOKEN },
      ['--customer', '42'],
      /QWOTY_CUSTOMER_ID \(--customer\) is invalid/,
    ],
    [
      'plain http to an address that is not loopback',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: 'http://qwoty.app/api' },
      [],
      /QWOTY_API_URL must use https:\/\/ \(plain http:\/\/ only for a loopback address/,
    ],
    [
      'plain http to a LAN address',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: 'http://192.168.1.20:8787/api' },
      [],
      /so the token never crosses a network in clear text/,
    ],
    [
      'plain http to a name under .localhost, which the resolver may send anywhere',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: 'http://api.localhost:8787/api' },
      [],
      /QWOTY_API_URL must use https:\/\//,
    ],
    [
      'a depth cap of zero',
      { QWOTY_API_TOKEN: TOKEN, QWOTY_MAX_DEPTH: '0' },
      [],
      /QWOTY_MAX_DEPTH \(--max-depth\)/,
    ],
    [
      'a list cap that is not a number',
      { QWOTY_API_TOKEN: TOKEN },
      ['--max-list-mb', 'lots'],
      /QWOTY_MAX_LIST_MB \(--max-list-mb\) is invalid/,
    ],
    ['a share above 100%', { QWOTY_API_TOKEN: TOKEN, QWOTY_MAX_INVALID: '150%' }, [], /QWOTY_MAX_INVALID/],
    ['a concurrency of zero', { QWOTY_API_TOKEN: TOKEN, QWOTY_CONCURRENCY: '0' }, [], /QWOTY_CONCURRENCY/],
    [
      'a customer age that is not a number',
      { QWOTY_API_TOKEN: TOKEN },
      ['--customer-max-age', 'a week'],
      /QWOTY_CUSTOMER_MAX_AGE_DAYS \(--customer-max-age\) is invalid/,
    ],
    ['an unknown flag', { QWOTY_API_TOKEN: TOKEN }, ['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('throws one clear sentence for %s', (_name, env, argv, message) => {
    const error = failure(env, argv);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).not.toContain(TOKEN);
  });
});
