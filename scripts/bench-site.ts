/**
 * `npm run bench:site [-- --contacts 100000 --runs 1]`: the directory site at one size (src/bench/site.ts):
 * its build against a bare Astro build of as many pages, its downloads, and search timed in Chromium.
 */
import { BENCH_SITE_COMMAND } from '../src/bench/commands.ts';
import { saveResults } from '../src/bench/results.ts';
import { formatSiteBench, measureSite } from '../src/bench/site.ts';
import { runMain } from '../src/cli/run-main.ts';
import { formatUsage, parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';

await runMain('bench:site', async () => {
  const parsed = parseCommand(BENCH_SITE_COMMAND, {}, process.argv.slice(2));
  if (parsed.help) {
    console.log(formatUsage(BENCH_SITE_COMMAND));
    return ExitCode.ok;
  }
  const { contacts, runs } = parsed.values;
  const result = await measureSite({ contacts, runs, log: (line) => console.log(line) });
  console.log(`\n${formatSiteBench(result)}`);
  await saveResults(`site-${contacts}`, result);
  return ExitCode.ok;
});
