import { describe, expect, test } from 'vitest';
import { createMemoryReporter, createProgressLine, createReporter } from '../src/shared/reporter.ts';

describe('progress in a log (not a terminal)', () => {
  test('prints each tenth once, in order, while the total still grows', () => {
    const reporter = createMemoryReporter();
    // As the customer look-ups report it: ids are found while earlier ones are being looked up, so the
    // total grows and the share dips (33/328, 40/400, 44/436 are all 10%).
    let total = 0;
    let done = 0;
    for (let tick = 0; tick < 1_200; tick += 1) {
      // About ten ids found per look-up done, in uneven bursts: the share hovers around 10%.
      total = Math.min(12_500, total + (tick % 2 === 0 ? 11 : 9));
      done += 1;
      reporter.progress('customers', done, total);
    }
    while (done < total) {
      done += 1;
      reporter.progress('customers', done, total);
    }
    const percents = reporter.lines.map((line) => Number(/\((\d+)%\)/.exec(line)?.[1]));
    expect(percents.length).toBeGreaterThan(0);
    expect(percents).toEqual([...new Set(percents)].sort((a, b) => a - b));
    expect(reporter.lines.every((line) => /^customers [\d,]+\/[\d,]+ \(\d0%\)\n$/.test(line))).toBe(true);
  });

  test('says nothing for a task that is done at once', () => {
    const reporter = createMemoryReporter();
    reporter.progress('customers', 5, 5);
    expect(reporter.lines).toEqual([]);
  });
});

describe('time stamps', () => {
  const at = new Date('2026-12-07T02:17:03.456Z');
  const capture = (interactive: boolean) => {
    const lines: string[] = [];
    const reporter = createReporter({
      write: (text) => lines.push(text),
      interactive,
      prefix: 'nightly',
      now: () => at,
    });
    return { reporter, lines };
  };

  test('start every line of a log with the time, to the second, in UTC', () => {
    const { reporter, lines } = capture(false);
    reporter.info('Fetching from qwoty.app');
    reporter.warn('GET /contacts answered 503; retry 1 in 1.0 s');
    reporter.progress('customers', 5, 10);
    reporter.echo('[build] 120 pages');
    expect(lines).toEqual([
      '2026-12-07T02:17:03Z [nightly] Fetching from qwoty.app\n',
      '2026-12-07T02:17:03Z [nightly] warning: GET /contacts answered 503; retry 1 in 1.0 s\n',
      '2026-12-07T02:17:03Z [nightly] customers 5/10 (50%)\n',
      '2026-12-07T02:17:03Z [build] 120 pages\n',
    ]);
  });

  test("leave a terminal's lines as they were", () => {
    const { reporter, lines } = capture(true);
    reporter.info('Fetching from qwoty.app');
    reporter.echo('[build] 120 pages');
    expect(lines).toEqual(['[nightly] Fetching from qwoty.app\n', '[build] 120 pages\n']);
  });
});

describe('progress on a terminal', () => {
  test('is redrawn in place, and cleared once the task is done', () => {
    const lines: string[] = [];
    const reporter = createReporter({
      write: (text) => lines.push(text),
      interactive: true,
      prefix: 'fetch',
    });
    reporter.progress('customers', 1, 2);
    reporter.progress('customers', 2, 2);
    expect(lines).toEqual([
      '\r\u001b[2K[fetch] customers 1/2 (50%)',
      '\r\u001b[2K[fetch] customers 2/2 (100%)',
      '\r\u001b[2K',
    ]);
  });
});

describe('createProgressLine', () => {
  test('draws at most every 100 ms on a terminal, but always when the task first completes', () => {
    const lines: string[] = [];
    const line = createProgressLine({ write: (text) => lines.push(text), interactive: true });
    line.show('pages', 1, 10);
    line.show('pages', 2, 10);
    line.show('pages', 10, 10);
    line.show('pages', 11, 11);
    expect(lines).toEqual(['\r\u001b[2Kpages 1/10 (10%)', '\r\u001b[2Kpages 10/10 (100%)']);
    line.clear();
    line.clear();
    expect(lines.at(-1)).toBe('\r\u001b[2K');
    expect(lines).toHaveLength(3);
  });
});
