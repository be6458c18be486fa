/**
 * `npm run nightly`: fetch and publish the snapshot, then build the site from it, as one command with one exit
 * status (see src/nightly/run-nightly.ts). Settings: `--help`.
 */

import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { isInteractive, loadDotEnv, redact, runMain, TOOL } from '../src/cli/run-main.ts';
import { NIGHTLY_COMMAND, NIGHTLY_USAGE, runNightly } from '../src/nightly/run-nightly.ts';
import { toFetchConfig } from '../src/pipeline/config.ts';
import { formatSummaryMarkdown, formatSummaryText } from '../src/pipeline/run-summary.ts';
import { parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { createReporter } from '../src/shared/reporter.ts';

// Keeps the run's memory near its live data (see heap.ts).
limitHeapGrowth();

await runMain('nightly', async () => {
  const notes = loadDotEnv();
  const parsed = parseCommand(NIGHTLY_COMMAND, process.env, process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(`${NIGHTLY_USAGE}\n`);
    return ExitCode.ok;
  }
  const { config, quiet } = toFetchConfig(parsed.values);
  const hide = (text: string) => redact(text, [config.token]);
  const write = (text: string) => process.stderr.write(hide(text));
  const reporter = createReporter({
    write,
    interactive: isInteractive(process.stderr),
    quiet,
    prefix: 'nightly',
  });
  for (const note of notes) reporter.warn(note);
  const { summary, failure } = await runNightly({
    config,
    siteDir: parsed.values.siteDir,
    buildScript: path.join(import.meta.dirname, 'build-site.ts'),
    node: process.execPath,
    env: process.env,
    reporter,
    tool: TOOL,
    pid: process.pid,
    verbose: parsed.values.verbose,
    redact: hide,
  });
  write('\n');
  // Through the reporter: in a log, the summary's first line says when the run ended.
  reporter.echo('Nightly run summary');
  write(formatSummaryText(summary));
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) await appendFile(stepSummary, formatSummaryMarkdown(summary)).catch(() => {});
  if (failure) throw failure;
  return ExitCode.ok;
});
