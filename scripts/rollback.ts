/**
 * `npm run rollback [-- --list | --to <id>]`: the data and the site back to an earlier night, together (see
 * src/nightly/rollback.ts). Settings: `--help`.
 */
import { loadDotEnv, runMain } from '../src/cli/run-main.ts';
import {
  finishPendingRollback,
  formatNights,
  listNights,
  ROLLBACK_COMMAND,
  ROLLBACK_USAGE,
  rollback,
} from '../src/nightly/rollback.ts';
import { parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';

await runMain('rollback', async () => {
  loadDotEnv();
  const parsed = parseCommand(ROLLBACK_COMMAND, process.env, process.argv.slice(2));
  if (parsed.help) {
    console.log(ROLLBACK_USAGE);
    return ExitCode.ok;
  }
  const { dataDir, siteDir, list, to } = parsed.values;
  if (list) {
    // A roll-back killed half-way is finished first, unless a run holds the data folder (it will finish it).
    await finishPendingRollback({ dataDir, siteDir, pid: process.pid });
    console.log(formatNights(await listNights({ dataDir, siteDir })));
    return ExitCode.ok;
  }
  const switched = await rollback({ dataDir, siteDir, to, pid: process.pid });
  console.log(
    `[rollback] the data and the site are now the night ${switched.to.id} (${switched.to.generatedAt}, ${switched.to.counts.contacts.toLocaleString('en')} contacts)${switched.from ? `; the night ${switched.from.id} is kept, \`npm run rollback -- --to ${switched.from.id}\` goes back to it` : ''}.`,
  );
  return ExitCode.ok;
});
