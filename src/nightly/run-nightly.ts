/**
 * The nightly run behind `npm run nightly`: fetch and publish the snapshot, then build the site from it, as one
 * run with one outcome. When the fetch fails nothing is built: the last good snapshot and site stay as they
 * were. The site is built into a new folder and switched in only when the build succeeded. Whatever
 * happens, `run-summary.json` says how it went (it holds no personal data, and names customers by id).
 *
 * One nightly at a time, from its first request to its site switch: the run holds the data folder's lock
 * (the one every fetch takes, `lockDataDir`) throughout, so that the live site and `data/current` always come
 * from the same snapshot. A second nightly, or a fetch, started meanwhile stops before fetching anything
 * (exit 6), naming the run that holds it, and leaves that run's `run-summary.json` alone. Waiting instead was
 * not chosen: a scheduler that starts a run while the last one still goes on is better told so than queued,
 * and a queue of nights would each fetch the same data again.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { FETCH_EXIT_CODES, FETCH_SETTINGS, type FetchConfig } from '../pipeline/config.ts';
import { lockDataDir } from '../pipeline/publish.ts';
import { type FetchRunResult, type RequestTally, runFetch } from '../pipeline/run-fetch.ts';
import { readRunSummary, runId, writeRunSummary } from '../pipeline/run-summary.ts';
import { defineCommand, formatUsage, mergeSettings } from '../shared/command.ts';
import { ApiError, ExitCode, QwotyError, withHint } from '../shared/errors.ts';
import type { Reporter } from '../shared/reporter.ts';
import { formatMs } from '../shared/reporter.ts';
import { type RunSummary, RunSummarySchema } from '../shared/schema/run-summary.ts';
import { SITE_SETTINGS } from '../site/build/site-settings.ts';

export const NIGHTLY_COMMAND = defineCommand({
  name: 'npm run nightly',
  summary: `Fetches and publishes the snapshot like npm run fetch, then builds the site from it like npm run build,
as one command with one exit status. Writes run-summary.json into the data folder and, under GitHub
Actions, a job summary.`,
  settings: mergeSettings(FETCH_SETTINGS, SITE_SETTINGS),
  epilogue: `One nightly at a time: a run started while another holds the data folder (from its first request to
its site switch) stops at once with exit 6 and names it.`,
  exitCodes: { ...FETCH_EXIT_CODES, ok: 'published and site built', build: true },
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
  /** Show the site build's own log (Astro's list of routes): its progress lines are always passed on. */
  verbose: boolean;
  /** Hides the token in anything this run writes. */
  redact: (text: string) => string;
}

/** Warnings a failed run's summary keeps, the first ones: a run that retried for an hour says so in its log. */
const MAX_WARNINGS = 50;
/** Lines of the site build's output kept to show when it fails. */
const BUILD_TAIL_LINES = 20;

type Failure = QwotyError | Error;

/** Runs one night; never throws: the outcome is in the summary, and the failure (if any) beside it. */
export async function runNightly(
  options: NightlyOptions,
): Promise<{ summary: RunSummary; failure: Failure | undefined }> {
  const { config, reporter } = options;
  const base = startingSummary(new Date(), options.pid);
  const started = performance.now();
  const write = (summary: RunSummary) =>
    writeRunSummary(config.dataDir, summary).catch((error: unknown) =>
      reporter.warn(`could not write run-summary.json (${(error as Error).message})`),
    );

  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(config.dataDir, options.pid);
  } catch (error) {
    // Another run holds the data folder: its run-summary.json is its own, and stays as it is.
    const failure = toFailure(error);
    return { summary: finish(base, failure, started, options.redact), failure };
  }
  try {
    const running = await noteInterruptedRun(config.dataDir, base, reporter);
    await write(running);
    const night = await fetchAndBuild(options);
    const summary = summarise(running, night, started, options);
    await write(summary);
    return { summary, failure: night.failure };
  } finally {
    await unlock().catch((error: unknown) =>
      reporter.warn(`could not release the data folder's lock (${(error as Error).message})`),
    );
  }
}

/** The summary of a run that has just started, before it holds anything. */
function startingSummary(startedAt: Date, pid: number): RunSummary {
  return {
    schema_version: 1,
    run_id: runId(startedAt, pid),
    status: 'running',
    exit_code: null,
    error: null,
    interrupted_run: null,
    started_at: startedAt.toISOString(),
    finished_at: null,
    durations_ms: {},
    source: null,
    counts: null,
    requests: 0,
    retries: 0,
    throttled: 0,
    waited_ms: 0,
    freshness: null,
    warnings: [],
    changes: null,
    quality: null,
    snapshot_dir: null,
    site_dir: null,
  };
}

/**
 * With the lock held, a summary still "running" is that of a run that is gone: this run's summary names it,
 * and the log says so.
 */
async function noteInterruptedRun(
  dataDir: string,
  base: RunSummary,
  reporter: Reporter,
): Promise<RunSummary> {
  const previous = await readRunSummary(dataDir);
  if (previous?.status !== 'running') return base;
  const interrupted = previous.run_id ?? `started at ${previous.started_at}`;
  reporter.warn(
    `the run ${interrupted} was killed before it finished; the snapshot and site it did not finish were left as they were.`,
  );
  return { ...base, interrupted_run: interrupted };
}

/** How the fetch and the build went: what they gave, or the failure that stopped them. */
interface NightOutcome {
  result: FetchRunResult | undefined;
  failure: Failure | undefined;
  durations: Record<string, number>;
  /** The client's counts, which outlive a failed fetch. */
  tally: RequestTally;
  /** Every warning the fetch logged. */
  warnings: string[];
}

/** Fetches and publishes the snapshot, then builds the site from it; the build only when the fetch succeeded. */
async function fetchAndBuild(options: NightlyOptions): Promise<NightOutcome> {
  const { reporter, siteDir } = options;
  const warnings: string[] = [];
  let tally: () => RequestTally = () => ({ requests: 0, retries: 0, throttled: 0, waitedMs: 0 });
  let result: FetchRunResult | undefined;
  let failure: Failure | undefined;
  const durations: Record<string, number> = {};
  try {
    result = await runFetch({
      config: options.config,
      reporter: recordingWarnings(reporter, warnings),
      tool: options.tool,
      pid: options.pid,
      dataDirLocked: true,
      onTally: (read) => {
        tally = read;
      },
    });
    Object.assign(durations, result.durations);
    const buildStarted = performance.now();
    reporter.info(`Building the site into ${siteDir}`);
    await buildSiteInto(siteDir, options);
    durations.build = Math.round(performance.now() - buildStarted);
    reporter.info(`site: built in ${formatMs(durations.build)}`);
  } catch (error) {
    failure = toFailure(error);
  }
  return { result, failure, durations, tally: tally(), warnings };
}

/** `reporter`, keeping each warning in `warnings` as well. */
function recordingWarnings(reporter: Reporter, warnings: string[]): Reporter {
  return {
    info: (message) => reporter.info(message),
    progress: (label, done, total) => reporter.progress(label, done, total),
    echo: (line) => reporter.echo(line),
    warn: (message) => {
      warnings.push(message);
      reporter.warn(message);
    },
  };
}

/** The summary of the night that ended, from what the fetch and the build gave. */
function summarise(
  base: RunSummary,
  { result, failure, durations, tally, warnings }: NightOutcome,
  started: number,
  { siteDir, redact }: Pick<NightlyOptions, 'siteDir' | 'redact'>,
): RunSummary {
  const kept = warnings.slice(0, MAX_WARNINGS);
  if (warnings.length > MAX_WARNINGS)
    kept.push(`… and ${warnings.length - MAX_WARNINGS} more warnings (see the log)`);
  // Parsed: the summary keeps only the fields of its schema (the oldest customer's id, not its name).
  return RunSummarySchema.parse(
    finish(
      {
        ...base,
        durations_ms: durations,
        source: result?.manifest.source ?? null,
        counts: result?.manifest.counts ?? null,
        // The counts come from the client, which outlives a failed fetch; a published run's manifest holds the same.
        requests: result?.manifest.run.requests ?? tally.requests,
        retries: result?.manifest.run.retries ?? tally.retries,
        throttled: result?.manifest.run.throttled ?? tally.throttled,
        waited_ms: result?.manifest.run.waited_ms ?? tally.waitedMs,
        freshness: result?.quality.freshness ?? null,
        // A published snapshot's warnings are its degradations; a failed run's are what it logged.
        warnings: result ? result.manifest.run.warnings : kept.map(redact),
        changes: result?.changes.totals ?? null,
        quality: result?.quality.totals ?? null,
        snapshot_dir: result?.dir ?? null,
        site_dir: failure ? null : path.resolve(siteDir),
      },
      failure,
      started,
      redact,
    ),
  );
}

function toFailure(error: unknown): Failure {
  return error instanceof ApiError
    ? withHint(error)
    : error instanceof Error
      ? error
      : new Error(String(error));
}

/** The summary of a run that ended, well or not. */
function finish(
  summary: RunSummary,
  failure: Failure | undefined,
  started: number,
  redact: (text: string) => string,
): RunSummary {
  return {
    ...summary,
    status: failure ? 'failed' : 'ok',
    exit_code: failure
      ? failure instanceof QwotyError
        ? failure.exitCode
        : ExitCode.unexpected
      : ExitCode.ok,
    error: failure ? redact(failure.message) : null,
    finished_at: new Date().toISOString(),
    durations_ms: { ...summary.durations_ms, total: Math.round(performance.now() - started) },
  };
}

/**
 * Builds the site in a child process (its own memory, no token in its environment). The build writes a new
 * folder and switches the site to it only when it succeeded (src/site/build/site-folder.ts): a failed build
 * leaves the last good site untouched.
 *
 * The child is given an IPC channel: when this process is gone (killed), the channel closes and the build
 * stops, and it checks the channel again just before its switch (scripts/build-site.ts), so a build never
 * puts a site in place for a run nobody waits for. Its output is passed on line by line, and its last lines
 * are kept for the failure's message, which names the signal when one killed it.
 */
async function buildSiteInto(siteDir: string, options: NightlyOptions): Promise<void> {
  const { QWOTY_API_TOKEN: _token, ...env } = options.env;
  const tail: string[] = [];
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      const child = spawn(options.node, [options.buildScript, ...(options.verbose ? ['--verbose'] : [])], {
        env: { ...env, QWOTY_DATA_DIR: options.config.dataDir, QWOTY_SITE_DIR: siteDir },
        // The build prints its progress and Astro's warnings, and Astro's list of routes only with --verbose.
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const follow = (stream: Readable | null) =>
        stream &&
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
          tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
          if (tail.length > BUILD_TAIL_LINES) tail.shift();
          options.reporter.echo(line);
        });
      follow(child.stdout);
      follow(child.stderr);
      child.on('error', reject);
      // "close" comes once its output is read to the end; a process it started and left holding the output
      // (esbuild's service) must not hold this run, so "exit" ends the wait soon after in any case.
      let ended: ReturnType<typeof setTimeout> | undefined;
      child.on('exit', (code, signal) => {
        ended = setTimeout(() => resolve({ code, signal }), 2_000);
      });
      child.on('close', (code, signal) => {
        clearTimeout(ended);
        resolve({ code, signal });
      });
    },
  );
  if (outcome.code === 0) return;
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `failed (exit ${outcome.code})`;
  const last =
    tail.length > 0
      ? ` Its last lines:\n${tail.map((line) => `  ${line}`).join('\n')}`
      : ' It printed nothing.';
  throw new QwotyError(
    `The site build ${how}; the snapshot was published but the last good site in ${siteDir} is kept.${last}`,
    ExitCode.build,
  );
}
