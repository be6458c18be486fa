/**
 * `npm run nightly`: fetch and publish the snapshot, then build the site from it, as one command with one exit
 * status. When the fetch fails nothing is built: the last good snapshot and site stay as they were. The site
 * is built into a staging folder and swapped in only when the build succeeded.
 *
 * Takes the same flags and environment as `npm run fetch`, plus QWOTY_SITE_DIR (default `dist`) and those of
 * `npm run build`: QWOTY_SITE_CACHE_DIR (default `.cache/astro`), QWOTY_SITE_REBUILD=1 to render every page.
 * Writes `run-summary.json` into the data folder and, under GitHub Actions, a job summary.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadDotEnv, redact, runMain, TOOL } from '../src/cli/run-main.ts';
import { FETCH_USAGE, type FetchConfig, parseFetchConfig } from '../src/pipeline/config.ts';
import { type FetchRunResult, runFetch } from '../src/pipeline/run-fetch.ts';
import { formatSummaryMarkdown, formatSummaryText, writeRunSummary } from '../src/pipeline/run-summary.ts';
import { ApiError, ExitCode, QwotyError, SnapshotIoError, withHint } from '../src/shared/errors.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { createReporter, formatMs } from '../src/shared/reporter.ts';
import type { RunSummary } from '../src/shared/schema.ts';

const BUILD_SCRIPT = path.join(import.meta.dirname, 'build-site.ts');

// Keeps the run's memory near its live data (see heap.ts).
limitHeapGrowth();

await runMain('nightly', async () => {
  loadDotEnv();
  const parsed = parseFetchConfig(process.env, process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(
      `${FETCH_USAGE.replace('npm run fetch', 'npm run nightly')}\n\nThen builds the site into QWOTY_SITE_DIR (default dist), copying unchanged pages from\nQWOTY_SITE_CACHE_DIR (default .cache/astro); QWOTY_SITE_REBUILD=1 renders every page.\n`,
    );
    return ExitCode.ok;
  }
  const { config, quiet } = parsed;
  const siteDir = process.env.QWOTY_SITE_DIR?.trim() || 'dist';
  const write = (text: string) => process.stderr.write(redact(text, [config.token]));
  const reporter = createReporter({
    write,
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
    quiet,
    prefix: 'nightly',
  });

  const startedAt = new Date();
  const started = performance.now();
  let result: FetchRunResult | undefined;
  let failure: QwotyError | Error | undefined;
  const durations: Record<string, number> = {};
  try {
    result = await runFetch({ config, reporter, tool: TOOL, pid: process.pid });
    Object.assign(durations, result.durations);
    const buildStarted = performance.now();
    reporter.info(`Building the site into ${siteDir}`);
    await buildSiteInto(siteDir, config);
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
    error: failure ? redact(failure.message, [config.token]) : null,
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
  write(`\nNightly run summary\n${formatSummaryText(summary)}`);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) await appendFile(stepSummary, formatSummaryMarkdown(summary)).catch(() => {});

  if (failure) throw failure;
  return ExitCode.ok;
});

/**
 * Builds the site in a child process (its own memory, no token in its environment) into a staging folder
 * next to `siteDir`, then swaps it in: a failed build leaves the last good site untouched.
 */
async function buildSiteInto(siteDir: string, config: FetchConfig): Promise<void> {
  const target = path.resolve(siteDir);
  const staging = `${target}.staging-${randomBytes(3).toString('hex')}`;
  const { QWOTY_API_TOKEN: _token, ...env } = process.env;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [BUILD_SCRIPT], {
      env: { ...env, QWOTY_DATA_DIR: config.dataDir, QWOTY_SITE_DIR: staging },
      // Astro lists every page it writes on stdout: 25,000 lines a night at 100,000 contacts. Errors and
      // warnings come on stderr, which stays.
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    // Best effort: the reason the build failed may be the reason this fails too.
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw new QwotyError(
      `The site build failed (exit ${code}); the snapshot was published but the last good site in ${siteDir} is kept. See the build output above.`,
      ExitCode.build,
    );
  }
  const previous = `${target}.previous`;
  try {
    await rm(previous, { recursive: true, force: true });
    if (await stat(target).catch(() => null)) await rename(target, previous);
    await rename(staging, target);
    await rm(previous, { recursive: true, force: true });
  } catch (error) {
    throw new SnapshotIoError(
      `Could not put the new site in place at ${siteDir} (${(error as Error).message}).`,
      {
        cause: error,
      },
    );
  }
}
