/**
 * The nightly run behind `npm run nightly`: fetch and publish the snapshot, then build the site from it, as one
 * run with one outcome. When the fetch fails nothing is built: the last good snapshot and site stay as they
 * were. The site is built into a new folder and switched in only when the build succeeded. Whatever
 * happens, `run-summary.json` says how it went (it holds no personal data).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FETCH_SETTINGS, type FetchConfig } from '../pipeline/config.ts';
import { type FetchRunResult, runFetch } from '../pipeline/run-fetch.ts';
import { writeRunSummary } from '../pipeline/run-summary.ts';
import { defineCommand, formatUsage, mergeSettings } from '../shared/command.ts';
import { ApiError, ExitCode, QwotyError, withHint } from '../shared/errors.ts';
import type { Reporter } from '../shared/reporter.ts';
import { formatMs } from '../shared/reporter.ts';
import type { RunSummary } from '../shared/schema.ts';
import { SITE_SETTINGS } from '../site/build/site-settings.ts';

export const NIGHTLY_COMMAND = defineCommand({
  name: 'npm run nightly',
  summary: `Fetches and publishes the snapshot like npm run fetch, then builds the site from it like npm run build,
as one command with one exit status. Writes run-summary.json into the data folder and, under GitHub
Actions, a job summary.`,
  settings: mergeSettings(FETCH_SETTINGS, SITE_SETTINGS),
  epilogue: `Exit codes: those of npm run fetch, and 7 when the snapshot was published but the site build failed
(the last good site is kept).`,
});

export const NIGHTLY_USAGE = formatUsage(NIGHTLY_COMMAND);

export interface NightlyOptions {
  config: FetchConfig;
  siteDir: string;
  /** The entry point that builds the site, run as a child process (its own memory, no token). */
  buildScript: string;
  /** Node 22, to run it with. */
  node: string;
  /** The environment the build inherits, less the token. */
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  tool: { name: string; version: string };
  pid: number;
  /** Show the site build's own log. */
  verbose: boolean;
  /** Hides the token in anything this run writes. */
  redact: (text: string) => string;
}

/** Runs one night; never throws: the outcome is in the summary, and the failure (if any) beside it. */
export async function runNightly(
  options: NightlyOptions,
): Promise<{ summary: RunSummary; failure: QwotyError | Error | undefined }> {
  const { config, siteDir, reporter } = options;
  const startedAt = new Date();
  const started = performance.now();
  let result: FetchRunResult | undefined;
  let failure: QwotyError | Error | undefined;
  const durations: Record<string, number> = {};
  try {
    result = await runFetch({ config, reporter, tool: options.tool, pid: options.pid });
    Object.assign(durations, result.durations);
    const buildStarted = performance.now();
    reporter.info(`Building the site into ${siteDir}`);
    await buildSiteInto(siteDir, options);
    durations.build = Math.round(performance.now() - buildStarted);
    reporter.info(`site: built in ${formatMs(durations.build)}`);
  } catch (error) {
    failure =
      error instanceof ApiError ? withHint(error) : error instanceof Error ? error : new Error(String(error));
  }
  durations.total = Math.round(performance.now() - started);

  const exitCode = failure
    ? failure instanceof QwotyError
      ? failure.exitCode
      : ExitCode.unexpected
    : ExitCode.ok;
  const summary: RunSummary = {
    schema_version: 1,
    status: failure ? 'failed' : 'ok',
    exit_code: exitCode,
    error: failure ? options.redact(failure.message) : null,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    durations_ms: durations,
    source: result?.manifest.source ?? null,
    counts: result?.manifest.counts ?? null,
    requests: result?.manifest.run.requests ?? 0,
    retries: result?.manifest.run.retries ?? 0,
    throttled: result?.manifest.run.throttled ?? 0,
    waited_ms: result?.manifest.run.waited_ms ?? 0,
    freshness: result?.quality.freshness ?? null,
    warnings: result?.manifest.run.warnings ?? [],
    changes: result?.changes.totals ?? null,
    quality: result?.quality.totals ?? null,
    snapshot_dir: result?.dir ?? null,
    site_dir: failure ? null : path.resolve(siteDir),
  };
  await writeRunSummary(config.dataDir, summary).catch((error: unknown) =>
    reporter.warn(`could not write run-summary.json (${(error as Error).message})`),
  );
  return { summary, failure };
}

/**
 * Builds the site in a child process (its own memory, no token in its environment). The build writes a new
 * folder and switches the site to it only when it succeeded (src/site/build/site-folder.ts): a failed build
 * leaves the last good site untouched.
 */
async function buildSiteInto(siteDir: string, options: NightlyOptions): Promise<void> {
  const { QWOTY_API_TOKEN: _token, ...env } = options.env;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(options.node, [options.buildScript, ...(options.verbose ? ['--verbose'] : [])], {
      env: { ...env, QWOTY_DATA_DIR: options.config.dataDir, QWOTY_SITE_DIR: siteDir },
      // The build prints its progress and Astro's warnings, and Astro's list of routes only with --verbose.
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    throw new QwotyError(
      `The site build failed (exit ${code}); the snapshot was published but the last good site in ${siteDir} is kept. See the build output above.`,
      ExitCode.build,
    );
  }
}
