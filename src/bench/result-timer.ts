/**
 * Times, inside the page, each keystroke in the home page's search box until the frame that shows its
 * results has been painted: the page's own clock, so the time to talk to the browser is not counted.
 * Used by the keystroke and the first-query benchmarks.
 */
import type { Page } from 'playwright-core';

interface Timer {
  start: number;
  times: number[];
}
type WithTimer = { __resultTimer: Timer };

/** Starts timing on `page` (after it loaded): every keystroke from now on adds one time. */
export async function timeResults(page: Page): Promise<void> {
  await page.evaluate(() => {
    const timer = { start: 0, times: [] as number[] };
    Object.assign(window, { __resultTimer: timer });
    const input = document.querySelector<HTMLInputElement>('#q');
    const results = document.querySelector<HTMLElement>('#search-results');
    input?.addEventListener('keydown', () => {
      timer.start = performance.now();
    });
    new MutationObserver(() => {
      if (!results || !input || results.dataset.query !== input.value || !timer.start) return;
      const started = timer.start;
      timer.start = 0;
      // Results are in the DOM; count the time until the frame that shows them has been painted.
      requestAnimationFrame(() => setTimeout(() => timer.times.push(performance.now() - started), 0));
    }).observe(results ?? document.body, { attributes: true, attributeFilter: ['data-query'] });
  });
}

/** The times so far, ms, in the order typed. */
export function resultTimes(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as WithTimer).__resultTimer.times);
}

export async function clearResultTimes(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as WithTimer).__resultTimer.times = [];
  });
}

/** Waits until `count` keystrokes have their time. */
export async function waitForResultTimes(page: Page, count: number, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    (expected) => (window as unknown as WithTimer).__resultTimer.times.length >= expected,
    count,
    { timeout },
  );
}
