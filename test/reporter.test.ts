import { describe, expect, test } from 'vitest';
import { createMemoryReporter } from '../src/shared/reporter.ts';

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
