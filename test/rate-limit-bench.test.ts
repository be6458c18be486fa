/**
 * `npm run bench -- --limit … --write-readme`: a real (tiny) run of the rate-limit benchmark, and the block it
 * writes between its markers in the README.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  benchRateLimits,
  formatRateLimitReadme,
  RATE_LIMITS_README_END,
  RATE_LIMITS_README_START,
} from '../src/bench/rate-limits.ts';
import { replaceBlock } from '../src/cli/readme.ts';

describe('the rate-limit benchmark', () => {
  test('runs each limit --runs times, gives the run of median ratio with the range, and writes its README block', async () => {
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'qwoty-rate-limit-bench-'));
    try {
      const meta = { contacts: 40, concurrency: 8, latencyMs: 0, runs: 3 };
      const rows = await benchRateLimits({
        ...meta,
        scenarios: 'bucket:200/s,burst=4',
        workDir,
        log: () => {},
      });

      expect(rows).toHaveLength(1);
      const [row] = rows;
      if (!row) throw new Error('no row');
      expect(row.runs).toBe(3);
      expect(row.requests).toBeGreaterThan(5);
      const [least = 0, most = 0] = row.ratioRange ?? [];
      expect(row.ratio).toBeGreaterThanOrEqual(least);
      expect(row.ratio).toBeLessThanOrEqual(most);
      expect(row.load).toBeGreaterThanOrEqual(0);
      expect(row.waitedMs).toBeGreaterThanOrEqual(0);

      const block = formatRateLimitReadme([{ meta, rows }], new Date('2001-02-03T04:05:06Z'));
      expect(block).toContain('Measured 2001-02-03');
      expect(block).toContain('--runs 3');
      expect(block).toContain('40 contacts');
      expect(block).toContain('≤ 1.5×, < 10% answered 429');
      // The README has the markers, and the block goes between them, once.
      const readme = await readFile(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
      const written = replaceBlock(readme, RATE_LIMITS_README_START, RATE_LIMITS_README_END, block);
      expect(written.split('Measured 2001-02-03')).toHaveLength(2);
      expect(replaceBlock(written, RATE_LIMITS_README_START, RATE_LIMITS_README_END, block)).toBe(written);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 90_000);
});
