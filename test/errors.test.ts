import { describe, expect, test } from 'vitest';
import { ROLLBACK_USAGE } from '../src/nightly/rollback.ts';
import { NIGHTLY_USAGE } from '../src/nightly/run-nightly.ts';
import { FETCH_USAGE } from '../src/pipeline/config.ts';
import {
  EXIT_CODES,
  ExitCode,
  formatExitCodes,
  formatExitCodeTable,
  toExitCode,
} from '../src/shared/errors.ts';
import { BUILD_USAGE } from '../src/site/build/site-settings.ts';

describe('ExitCode', () => {
  test('names each code of the exit-code table, and no other', () => {
    expect(ExitCode).toEqual({
      ok: 0,
      unexpected: 1,
      config: 2,
      auth: 3,
      unavailable: 4,
      rejected: 5,
      io: 6,
      build: 7,
    });
    expect(new Set(EXIT_CODES.map((row) => row.code)).size).toBe(EXIT_CODES.length);
  });

  test.each([
    [0, 0],
    [6, 6],
    [7, 7],
    [8, 1],
    [null, 1],
    [137, 1],
  ])('toExitCode(%s) is %s: a documented code stays, anything else is a bug', (status, code) => {
    expect(toExitCode(status)).toBe(code);
  });
});

describe('formatExitCodes', () => {
  test("numbers each code from the table, in the command's order, with the table's words or the command's", () => {
    expect(formatExitCodes({ ok: 'built', io: true, unexpected: true })).toBe(
      'Exit codes: 0 built, 6 local files unreadable/unwritable, 1 bug.',
    );
  });

  test('wraps between words at the width given', () => {
    const text = formatExitCodes(
      { ok: true, config: true, auth: true, unavailable: true, rejected: true },
      40,
    );
    expect(text.split('\n').length).toBeGreaterThan(1);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    expect(text.replaceAll('\n', ' ')).toBe(
      formatExitCodes({ ok: true, config: true, auth: true, unavailable: true, rejected: true }, 1000),
    );
  });
});

describe("each command's help", () => {
  test.each([
    ['npm run fetch', FETCH_USAGE, 'Exit codes: 0 published, 2 bad configuration, 3 token refused'],
    [
      'npm run build',
      BUILD_USAGE,
      'Exit codes: 0 built, 2 bad configuration, 6 no snapshot or a damaged one, 1 bug.',
    ],
    ['npm run nightly', NIGHTLY_USAGE, '7 the snapshot was published but the site build failed'],
    [
      'npm run rollback',
      ROLLBACK_USAGE,
      'Exit codes: 0 switched (or listed), 2 bad option or no such night, 6 no',
    ],
  ])('%s ends with its exit codes, generated from the table', (_name, usage, expected) => {
    const tail = usage.slice(usage.lastIndexOf('Exit codes:')).replaceAll('\n', ' ');
    expect(tail).toContain(expected);
    expect(tail.endsWith('.')).toBe(true);
  });

  test("npm run nightly lists every code of npm run fetch's, and 7", () => {
    const codes = (usage: string) =>
      [...usage.slice(usage.lastIndexOf('Exit codes:')).matchAll(/(?:: |, )(\d) /g)].map((match) =>
        Number(match[1]),
      );
    expect(codes(NIGHTLY_USAGE)).toEqual([...codes(FETCH_USAGE), ExitCode.build]);
  });
});

describe("the README's exit-code table", () => {
  test('has one row per code, with what to do', () => {
    const rows = formatExitCodeTable().split('\n').slice(2);
    expect(rows.map((row) => Number(row.split(' | ')[0]?.slice(2)))).toEqual(
      EXIT_CODES.map((row) => row.code),
    );
    expect(rows[ExitCode.io]).toContain('another run holds the data folder');
  });
});
