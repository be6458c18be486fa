/**
 * `npm run bench -- --limit …`: the fetch run against the embedded API with a rate limit switched on, each
 * figure against its bound:
 *
 * - a fixed window that announces itself (`window:60/10s`): the time from the first request to the last,
 *   as the API saw them, within 1.25x of the least the quota allows, and about one 429 per window at most;
 * - a silent token bucket (`bucket:40/s`, and `bucket:40/s,burst=8`, whose small burst meets the first
 *   salvo of requests with 429s): within 1.5x of the least the quota allows, under 10% of requests answered
 *   429;
 * - a limit that changes halfway through the night (`bucket:40/s,burst=8>bucket:20/s,burst=8`, and back up):
 *   the API switches to the second limit once half the night's requests were answered 200, and the bound is
 *   the first's over the sum of the least time each half allows;
 * - no limit (`none`): the run with the limiter no slower than without it (as before it existed), both in
 *   this same process after one warm-up run each, alternated, median of `runs`. Judged on CPU time (this
 *   process: the API, the pipeline and its XLSX worker), within 5%, with no wait for a rate limit: without
 *   one the limiter only adds work, and on a shared machine the wall time of two identical runs differed by
 *   more than 20% while their CPU time stayed within 5%. The fetch's wall time is shown beside it.
 *
 * Runs are in this process: what is measured is time and 429s, not memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateWorkspace } from '../fake-api/generate.ts';
import { describeRateLimit, parseRateLimitSpec, type RateLimitSpec } from '../fake-api/limiters.ts';
import { createQwotyServer, type QwotyServer } from '../fake-api/server.ts';
import { parseFetchConfig } from '../pipeline/config.ts';
import { runFetch } from '../pipeline/run-fetch.ts';
import { createReporter } from '../shared/reporter.ts';
import { median, seconds } from './stats.ts';

export const DEFAULT_RATE_LIMIT_SCENARIOS =
  'window:60/10s,bucket:40/s,bucket:40/s,burst=8,bucket:40/s,burst=8>bucket:20/s,burst=8,bucket:20/s,burst=8>bucket:40/s,burst=8,none';

/** A limit for the whole night, or one that changes to `then` halfway through. */
export interface RateLimitScenario {
  spec: RateLimitSpec;
  then?: RateLimitSpec | undefined;
}

export interface RateLimitBenchOptions {
  /** Comma-separated: `window:…`, `bucket:…` (see `parseRateLimitSpec`) or `none`. */
  scenarios: string;
  /** Contacts of the generated workspace; 2,000 make 250 customers, 252 requests a night. */
  contacts: number;
  /** Runs of each side of the `none` comparison. */
  runs: number;
  concurrency: number;
  latencyMs: number;
  /** Where the runs publish (removed afterwards). */
  workDir: string;
  log: (line: string) => void;
}

export interface RateLimitBenchResult {
  scenario: string;
  limit: string;
  /** Requests the night needs: those answered 200. */
  requests: number;
  throttled: number;
  /** First request to last, as the API saw them. */
  spanMs: number;
  /** The least time the quota allows for `requests` (null for no limit). */
  quotaMs: number | null;
  /** `spanMs / quotaMs`, or for no limit the fetch time with the limiter over the time without it. */
  ratio: number | null;
  /** For no limit: the fetch's wall time (lists and look-ups) with and without the limiter, medians. */
  withLimiterMs?: number;
  withoutLimiterMs?: number;
  /** For no limit: the whole run's CPU time with and without the limiter, medians. */
  withLimiterCpuMs?: number;
  withoutLimiterCpuMs?: number;
  /**
   * How long requests waited for the limiter: with a limit, in that run (the limiter holding the pace; a span
   * well over the least the quota allows with little waited is the client's own time, not the limiter's);
   * without one, all runs together (should be 0).
   */
  waitedMs?: number;
  bound: string;
  /** Judged on the run of median ratio. */
  met: boolean;
  /** Runs of the scenario: the figures above are those of the run of median ratio. */
  runs: number;
  /** The least and the greatest ratio of the runs. */
  ratioRange?: [number, number];
  /** The most 429s of one run. */
  throttledMax?: number;
  /** The machine's load average over the last minute (`uptime`) when the scenario's runs ended. */
  load: number;
}

const TOKEN = 'bench-rate-limit-token';

/**
 * Reads the scenarios up front, so that a typo stops the benchmark before anything runs: `none`, a limit, or
 * `<limit>><limit>` for one that changes halfway through the night.
 */
export function parseScenarios(text: string): (RateLimitScenario | null)[] {
  return text
    .split(/\s*;\s*|\s*,\s*(?=window|bucket|none)/)
    .filter(Boolean)
    .map((item) => {
      if (item === 'none') return null;
      const [first = '', then, ...rest] = item.split('>');
      if (rest.length > 0) throw new TypeError(`Expected at most one change of limit, got "${item}"`);
      return {
        spec: parseRateLimitSpec(first),
        // biome-ignore lint/suspicious/noThenProperty: a scenario, never awaited; named as the flag reads (`A>B`).
        then: then === undefined ? undefined : parseRateLimitSpec(then),
      };
    });
}

export async function benchRateLimits(options: RateLimitBenchOptions): Promise<RateLimitBenchResult[]> {
  const scenarios = parseScenarios(options.scenarios);
  options.log(`rate limits: generating ${options.contacts.toLocaleString('en')} contacts`);
  const server = await createQwotyServer({
    workspace: generateWorkspace({ contacts: options.contacts, seed: 1 }),
    token: TOKEN,
    latencyMs: options.latencyMs,
  });
  const results: RateLimitBenchResult[] = [];
  try {
    for (const spec of scenarios) {
      results.push(spec ? await limited(server, spec, options) : await unlimited(server, options));
      const last = results.at(-1);
      if (last) options.log(`  ${last.scenario}: ${formatRow(last)}`);
    }
  } finally {
    await server.close();
  }
  return results;
}

async function limited(
  server: QwotyServer,
  scenario: RateLimitScenario,
  options: RateLimitBenchOptions,
): Promise<RateLimitBenchResult> {
  const { spec, then } = scenario;
  // The night's requests, to know when half are answered: the workspace's customers and the list pages.
  const night = then ? await countRequests(server, options) : 0;
  const runs: LimitedRun[] = [];
  for (let run = 0; run < options.runs; run += 1)
    runs.push(await limitedOnce(server, scenario, night, options));
  // The run of median ratio stands for the scenario, whole (its 429s with its time); the others give the range.
  const ratios = runs.map((run) => run.ratio ?? 0);
  const middle = [...runs].sort((a, b) => (a.ratio ?? 0) - (b.ratio ?? 0))[Math.floor((runs.length - 1) / 2)];
  if (!middle) throw new Error('no run of the scenario');
  const name = then ? `${specName(spec)}>${specName(then)}` : specName(spec);
  const limit = then
    ? `${describeRateLimit(spec)}, then halfway ${describeRateLimit(then)}`
    : describeRateLimit(spec);
  return {
    scenario: name,
    limit,
    ...middle,
    runs: runs.length,
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    throttledMax: Math.max(...runs.map((run) => run.throttled)),
    load: os.loadavg()[0] ?? 0,
  };
}

type LimitedRun = Pick<
  RateLimitBenchResult,
  'requests' | 'throttled' | 'spanMs' | 'quotaMs' | 'ratio' | 'bound' | 'met' | 'waitedMs'
>;

/** One night under the scenario's limit, its quota fresh; for a change, switched once half are answered. */
async function limitedOnce(
  server: QwotyServer,
  { spec, then }: RateLimitScenario,
  night: number,
  options: RateLimitBenchOptions,
): Promise<LimitedRun> {
  server.setRateLimit(spec);
  server.resetStats();
  let firstHalf: number | undefined;
  const watch = then
    ? setInterval(() => {
        if (firstHalf !== undefined || server.count({ status: 200 }) < night / 2) return;
        firstHalf = server.count({ status: 200 });
        server.setRateLimit(then);
      }, 2)
    : undefined;
  let measured: Measured;
  try {
    measured = await fetchOnce(server, options, true);
  } finally {
    clearInterval(watch);
  }
  const requests = server.count({ status: 200 });
  const throttled = server.count({ status: 429 });
  const times = server.requests.map((request) => request.time);
  const spanMs = Math.max(...times) - Math.min(...times);
  const judged = then
    ? judgeChange(spec, then, firstHalf ?? requests, requests, throttled, spanMs)
    : judge(spec, requests, throttled, spanMs);
  return { requests, throttled, spanMs, waitedMs: measured.waitedMs, ...judged };
}

function specName(spec: RateLimitSpec): string {
  return spec.kind === 'window'
    ? `window:${spec.limit}/${spec.windowMs / 1000}s`
    : `bucket:${spec.perSecond}/s${spec.burst === undefined ? '' : `,burst=${spec.burst}`}`;
}

/** The requests of one night without a limit. */
async function countRequests(server: QwotyServer, options: RateLimitBenchOptions): Promise<number> {
  server.setRateLimit(undefined);
  server.resetStats();
  await fetchOnce(server, options, true);
  return server.count({ status: 200 });
}

/** The least time a token bucket allows for `requests`: its burst at once, the rest at its rate. */
function bucketMs(spec: Extract<RateLimitSpec, { kind: 'bucket' }>, requests: number): number {
  return (Math.max(0, requests - (spec.burst ?? spec.perSecond)) / spec.perSecond) * 1000;
}

/** The least time a fixed window allows for `requests`. */
function windowMs(spec: Extract<RateLimitSpec, { kind: 'window' }>, requests: number): number {
  return Math.floor((requests - 1) / spec.limit) * spec.windowMs;
}

/** A limit that changed after `firstHalf` requests: the least time of each half, added, and the bucket's bound. */
function judgeChange(
  spec: RateLimitSpec,
  then: RateLimitSpec,
  firstHalf: number,
  requests: number,
  throttled: number,
  spanMs: number,
): Pick<RateLimitBenchResult, 'quotaMs' | 'ratio' | 'bound' | 'met'> {
  const least = (limit: RateLimitSpec, count: number) =>
    limit.kind === 'bucket' ? bucketMs(limit, count) : windowMs(limit, count);
  const quotaMs = least(spec, firstHalf) + least(then, requests - firstHalf);
  const ratio = quotaMs > 0 ? spanMs / quotaMs : null;
  const share = throttled / (requests + throttled);
  return { quotaMs, ratio, bound: '≤ 1.5×, < 10% answered 429', met: (ratio ?? 0) <= 1.5 && share < 0.1 };
}

/** The least time the quota allows for `requests`, and how the run compares with its bound. */
function judge(
  spec: RateLimitSpec,
  requests: number,
  throttled: number,
  spanMs: number,
): Pick<RateLimitBenchResult, 'quotaMs' | 'ratio' | 'bound' | 'met'> {
  if (spec.kind === 'window') {
    const quotaMs = windowMs(spec, requests);
    const windows = Math.ceil(requests / spec.limit);
    const ratio = quotaMs > 0 ? spanMs / quotaMs : null;
    return {
      quotaMs,
      ratio,
      bound: `≤ 1.25×, ≤ 1 429 per window (${windows} windows)`,
      met: (ratio ?? 0) <= 1.25 && throttled <= windows,
    };
  }
  const quotaMs = bucketMs(spec, requests);
  const ratio = quotaMs > 0 ? spanMs / quotaMs : null;
  const share = throttled / (requests + throttled);
  return {
    quotaMs,
    ratio,
    bound: '≤ 1.5×, < 10% answered 429',
    met: (ratio ?? 0) <= 1.5 && share < 0.1,
  };
}

async function unlimited(server: QwotyServer, options: RateLimitBenchOptions): Promise<RateLimitBenchResult> {
  server.setRateLimit(undefined);
  const withLimiter: Measured[] = [];
  const without: Measured[] = [];
  // One of each first, not counted: the first runs in a process pay for compiling the code.
  await fetchOnce(server, options, false);
  await fetchOnce(server, options, true);
  let spanMs = 0;
  let waitedMs = 0;
  for (let run = 0; run < options.runs; run += 1) {
    // Alternated, and in turn first, so that neither side always follows the other.
    for (const paced of run % 2 === 0 ? [false, true] : [true, false]) {
      server.resetStats();
      const measured = await fetchOnce(server, options, paced);
      (paced ? withLimiter : without).push(measured);
      const times = server.requests.map((request) => request.time);
      if (paced) {
        spanMs = Math.max(...times) - Math.min(...times);
        waitedMs += measured.waitedMs;
      }
    }
  }
  const withLimiterMs = median(withLimiter.map((run) => run.fetchMs));
  const withoutLimiterMs = median(without.map((run) => run.fetchMs));
  const withLimiterCpuMs = median(withLimiter.map((run) => run.cpuMs));
  const withoutLimiterCpuMs = median(without.map((run) => run.cpuMs));
  const ratio = withLimiterCpuMs / withoutLimiterCpuMs;
  return {
    scenario: 'none',
    limit: 'no limit',
    requests: server.count({ status: 200 }),
    throttled: server.count({ status: 429 }),
    spanMs,
    quotaMs: null,
    ratio,
    withLimiterMs,
    withoutLimiterMs,
    withLimiterCpuMs,
    withoutLimiterCpuMs,
    waitedMs,
    bound: 'no slower than without the limiter: CPU ≤ 1.05×, no wait',
    met: ratio <= 1.05 && waitedMs === 0,
    runs: options.runs,
    load: os.loadavg()[0] ?? 0,
  };
}

interface Measured {
  /** The fetch's wall time: lists and look-ups, publish excluded. */
  fetchMs: number;
  /** The whole run's CPU time in this process (API server, pipeline, XLSX worker). */
  cpuMs: number;
  waitedMs: number;
}

/** One real fetch run. */
async function fetchOnce(
  server: QwotyServer,
  options: RateLimitBenchOptions,
  paced: boolean,
): Promise<Measured> {
  const dataDir = await mkdtemp(path.join(options.workDir, 'limits-'));
  try {
    const parsed = parseFetchConfig(
      {
        QWOTY_API_TOKEN: TOKEN,
        QWOTY_API_URL: server.url,
        QWOTY_DATA_DIR: dataDir,
        QWOTY_CONCURRENCY: String(options.concurrency),
      },
      [],
    );
    if (parsed.help) throw new Error('unexpected help');
    const cpu = process.cpuUsage();
    const { durations, manifest } = await runFetch({
      config: parsed.config,
      reporter: createReporter({ write: () => {}, interactive: false, quiet: true }),
      tool: { name: 'bench', version: '0' },
      pid: process.pid,
      ...(paced ? {} : { rateLimiter: false as const }),
    });
    const used = process.cpuUsage(cpu);
    return {
      fetchMs: (durations.contacts ?? 0) + (durations.customers ?? 0),
      cpuMs: (used.user + used.system) / 1000,
      waitedMs: manifest.run.waited_ms,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function formatRow(row: RateLimitBenchResult): string {
  const share = `${((row.throttled / (row.requests + row.throttled)) * 100).toFixed(1)}%`;
  const most =
    row.throttledMax !== undefined && row.throttledMax > row.throttled ? `, at most ${row.throttledMax}` : '';
  const time =
    row.withLimiterMs !== undefined && row.withoutLimiterMs !== undefined
      ? `${seconds(row.withLimiterMs)} / ${seconds(row.withoutLimiterMs)} (${(row.withLimiterMs / row.withoutLimiterMs).toFixed(2)}×); CPU ${seconds(row.withLimiterCpuMs ?? 0)} / ${seconds(row.withoutLimiterCpuMs ?? 0)}`
      : `${seconds(row.spanMs)}${row.waitedMs === undefined ? '' : ` (held ${seconds(row.waitedMs)})`}`;
  const range =
    row.ratioRange && row.runs > 1
      ? ` (${row.ratioRange[0].toFixed(2)}–${row.ratioRange[1].toFixed(2)})`
      : '';
  return [
    `${row.limit}`,
    `${row.requests.toLocaleString('en')}`,
    `${row.throttled} (${share}${most})`,
    time,
    row.quotaMs === null ? '–' : seconds(row.quotaMs),
    row.ratio === null ? '–' : `${row.ratio.toFixed(2)}×${range}`,
    row.bound,
    row.met ? 'met' : 'NOT met',
    row.load.toFixed(1),
  ].join(' | ');
}

export interface RateLimitBenchMeta {
  contacts: number;
  concurrency: number;
  latencyMs: number;
  runs: number;
}

/** The results as a Markdown table. */
export function formatRateLimitBench(
  rows: readonly RateLimitBenchResult[],
  meta: RateLimitBenchMeta,
): string {
  return [
    `${meta.contacts.toLocaleString('en')} contacts, --concurrency ${meta.concurrency}, API latency ${meta.latencyMs} ms, ` +
      `${meta.runs} ${meta.runs === 1 ? 'run' : 'runs'} of each limit.`,
    '',
    '| API limit | requests answered 200 | answered 429 | time | least the quota allows | ratio (range) | bound | | load |',
    '|---|---:|---:|---:|---:|---:|---|---|---:|',
    ...rows.map((row) => `| ${formatRow(row)} |`),
  ].join('\n');
}

export const RATE_LIMITS_README_START =
  '<!-- rate-limits: generated by `npm run bench -- --limit all --write-readme` -->';
export const RATE_LIMITS_README_END = '<!-- /rate-limits -->';

/**
 * What `--limit … --write-readme` puts between its markers in the README: when and how it was measured, what
 * the columns mean, and one table per size.
 */
export function formatRateLimitReadme(
  sizes: readonly { meta: RateLimitBenchMeta; rows: readonly RateLimitBenchResult[] }[],
  date: Date,
): string {
  const runs = sizes[0]?.meta.runs ?? 1;
  return [
    `Measured ${date.toISOString().slice(0, 10)} by \`npm run bench -- --limit … --runs ${runs} --write-readme\`, ` +
      `at ${sizes.map(({ meta }) => meta.contacts.toLocaleString('en')).join(' and ')} contacts. ` +
      `Each limit ran ${runs} ${runs === 1 ? 'time' : 'times'}, each run with a fresh quota: a row gives the run of ` +
      'median ratio (its time and its 429s), the range gives the least and the greatest ratio of the runs. ' +
      'Time: first request to last, as the API saw them; held: how long requests that were ready waited for the ' +
      "limiter (all of a run's time, at best: the limiter sets the pace; much less, and the rest was the client's " +
      'own, a busy machine). Without a limit, the fetch (lists and look-ups) with the ' +
      'limiter / without it, alternated after a warm-up, and the CPU time of the whole run, medians; the ratio is ' +
      "the CPU time's. Load: the machine's load average over the last minute (`uptime`) when the limit's runs ended.",
    ...sizes.map(({ meta, rows }) => `\n${formatRateLimitBench(rows, meta)}`),
  ].join('\n');
}
