/**
 * One measured run for `npm run bench`, in its own process so that its peak memory is its own (see
 * src/bench/fetch-runs.ts):
 *   node scripts/bench-fetch-child.ts baseline|baseline-request|pipeline <api-url> <token> <dir>
 * Prints one JSON line: { ms, maxRssMb }.
 */
import { FETCH_RUN_MODES, type FetchRunMode, measureFetchRun } from '../src/bench/fetch-runs.ts';
import { runMain } from '../src/cli/run-main.ts';
import { ConfigError } from '../src/shared/errors.ts';

await runMain('bench run', async () => {
  const [mode = '', url = '', token = '', dir = ''] = process.argv.slice(2);
  if (!FETCH_RUN_MODES.includes(mode as FetchRunMode))
    throw new ConfigError(`Expected a mode (${FETCH_RUN_MODES.join(', ')}), got "${mode}".`);
  const measured = await measureFetchRun({ mode: mode as FetchRunMode, url, token, dir });
  process.stdout.write(`${JSON.stringify(measured)}\n`);
  return 0;
});
