/**
 * `npm run fetch`: pull the workspace from the Qwoty API and publish the snapshot.
 * Configuration: environment variables and flags (see `--help` and README.md). Exit codes: see errors.ts.
 */

import { isInteractive, loadDotEnv, redact, runMain, TOOL } from '../src/cli/run-main.ts';
import { FETCH_USAGE, parseFetchConfig } from '../src/pipeline/config.ts';
import { runFetch } from '../src/pipeline/run-fetch.ts';
import { ApiError, ExitCode, withHint } from '../src/shared/errors.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { createReporter, formatMs } from '../src/shared/reporter.ts';

// Keeps the run's memory near its live data (see heap.ts).
limitHeapGrowth();

await runMain('fetch', async () => {
  const notes = loadDotEnv();
  const parsed = parseFetchConfig(process.env, process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(`${FETCH_USAGE}\n`);
    return ExitCode.ok;
  }
  const { config, quiet } = parsed;
  const reporter = createReporter({
    write: (text) => process.stderr.write(redact(text, [config.token])),
    interactive: isInteractive(process.stderr),
    quiet,
    prefix: 'fetch',
  });
  for (const note of notes) reporter.warn(note);
  try {
    const { manifest, dir } = await runFetch({ config, reporter, tool: TOOL, pid: process.pid });
    const { counts, run } = manifest;
    process.stdout.write(
      `Published ${counts.contacts.toLocaleString('en')} contacts of ${counts.customers.toLocaleString('en')} customers` +
        ` (${counts.rejected} rejected, ${run.retries} retries, ${run.requests.toLocaleString('en')} requests)` +
        ` in ${formatMs(run.duration_ms)} to ${dir}\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    throw error instanceof ApiError ? withHint(error) : error;
  }
});
