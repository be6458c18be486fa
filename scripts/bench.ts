/**
 * `npm run bench`: the pipeline and the site at 1,000, 10,000 and 100,000 contacts on the embedded API,
 * against bare baselines in the same run (src/bench/pipeline.ts); with `--limit`, the fetch under the API's
 * rate limits instead (src/bench/rate-limits.ts). `npm run bench -- --help` lists the flags.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BENCH_COMMAND } from '../src/bench/commands.ts';
import { benchPipeline, formatPipelineBench, formatSiteDetails } from '../src/bench/pipeline.ts';
import {
  benchRateLimits,
  formatRateLimitBench,
  formatRateLimitReadme,
  RATE_LIMITS_README_END,
  RATE_LIMITS_README_START,
} from '../src/bench/rate-limits.ts';
import { saveResults, writeReadmeBlock, writeReadmeTable } from '../src/bench/results.ts';
import { runMain } from '../src/cli/run-main.ts';
import { formatUsage, parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';

const log = (line: string) => console.log(line);

await runMain('bench', async () => {
  const parsed = parseCommand(BENCH_COMMAND, {}, process.argv.slice(2));
  if (parsed.help) {
    console.log(formatUsage(BENCH_COMMAND));
    return ExitCode.ok;
  }
  const { sizes, runs, latencyMs, noSite, writeReadme, limit, limitContacts } = parsed.values;

  if (limit !== undefined) {
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'qwoty-bench-limits-'));
    try {
      const all = [];
      for (const contacts of limitContacts) {
        const meta = { contacts, concurrency: 8, latencyMs, runs };
        const rows = await benchRateLimits({ ...meta, scenarios: limit, workDir, log });
        console.log(`\n${formatRateLimitBench(rows, meta)}`);
        all.push({ meta, rows });
      }
      await saveResults('rate-limits', all);
      if (writeReadme) {
        await writeReadmeBlock(
          RATE_LIMITS_README_START,
          RATE_LIMITS_README_END,
          formatRateLimitReadme(all, new Date()),
        );
        log('README.md updated: the rate-limit tables');
      }
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    return ExitCode.ok;
  }

  const results = await benchPipeline({ sizes, runs, latencyMs, site: !noSite, log });
  const table = formatPipelineBench(results, { runs, latencyMs });
  console.log(`\n${table}`);
  const details = formatSiteDetails(results);
  if (details) console.log(details);
  await saveResults('bench', results);
  if (writeReadme) {
    await writeReadmeTable(table);
    log('README.md updated');
  }
  return ExitCode.ok;
});
