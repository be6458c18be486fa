/**
 * A preload for benchmarks (`node --import ./scripts/report-peak-memory.ts …`, or in `NODE_OPTIONS`): when the
 * process exits, writes its peak resident memory, worker threads included, to stderr as `[peak-rss] <kB>`.
 * `npm run bench:site` measures the site build and the bare Astro build with it, so both are measured alike.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

// Preloaded into worker threads too (`NODE_OPTIONS`): only the process's own line, once, at its end.
if (isMainThread) {
  process.on('exit', () => {
    writeSync(2, `\n[peak-rss] ${process.resourceUsage().maxRSS}\n`);
  });
}
