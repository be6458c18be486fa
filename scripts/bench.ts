/**
 * `npm run bench`: the pipeline and the site at 1,000, 10,000 and 100,000 contacts on the embedded API.
 *
 * Per size, in one run and alternating so all see the same machine: a bare baseline (the same HTTP requests
 * with the global fetch, as a hand-written script would, and one JSON write, nothing else), the same
 * baseline with undici's request() (the pipeline's own HTTP client), and the real fetch+publish, each in its
 * own process so its peak memory (max RSS, worker threads included) is its own, median of --runs; a second
 * fetch over the first ("the next night", with the change report against it); then the site built from a
 * fixture snapshot of that size against a bare Astro build with the same number of pages (alternated, the
 * fastest of --runs each), and search timed in Chromium.
 *
 * Flags: --sizes 1000,10000,100000  --runs 3  --latency <ms per API request, default 0>  --no-site
 *        --write-readme (replaces the table between the bench markers in README.md)
 *        --limit <scenarios>: instead, the fetch under the API's rate limits (see src/bench/rate-limits.ts),
 *        e.g. --limit window:60/10s,bucket:40/s,none (--limit all for these), on --limit-contacts (2000)
 * Results also go to .bench/bench.json (.bench/rate-limits.json with --limit).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  benchRateLimits,
  DEFAULT_RATE_LIMIT_SCENARIOS,
  formatRateLimitBench,
  parseScenarios,
} from '../src/bench/rate-limits.ts';
import { parseToolFlags } from '../src/cli/run-main.ts';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { createQwotyServer } from '../src/fake-api/server.ts';
import { formatSiteBench, measureSite, type SiteBenchResult } from './bench-site.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHILD = path.join(import.meta.dirname, 'bench-fetch-child.ts');
const TOKEN = 'bench-token';

interface Measured {
  ms: number;
  maxRssMb: number;
}

interface SizeResult {
  contacts: number;
  latencyMs: number;
  baseline: Measured;
  /** The same baseline with the pipeline's HTTP client (undici's request()) instead of fetch. */
  baselineRequest: Measured;
  pipeline: Measured;
  nextNight: Measured;
  ratio: number;
  /** `pipeline.ms / baselineRequest.ms`. */
  ratioToRequest: number;
  site: SiteBenchResult | null;
}

const values = parseToolFlags(
  {
    sizes: { type: 'string', default: '1000,10000,100000' },
    runs: { type: 'string', default: '3' },
    latency: { type: 'string', default: '0' },
    'no-site': { type: 'boolean', default: false },
    'write-readme': { type: 'boolean', default: false },
    limit: { type: 'string' },
    'limit-contacts': { type: 'string', default: '2000' },
  },
  'Usage: npm run bench -- [--sizes 1000,10000,100000] [--runs 3] [--latency 0] [--no-site] [--write-readme]\n' +
    `       npm run bench -- --limit all|<${DEFAULT_RATE_LIMIT_SCENARIOS}> [--limit-contacts 2000] [--runs 3] [--latency 0]`,
);
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const latencyMs = Number(values.latency);
if (sizes.some((size) => !Number.isInteger(size) || size < 1) || !(runs >= 1) || !(latencyMs >= 0)) {
  console.error('Expected --sizes to be positive integers, --runs >= 1 and --latency >= 0.');
  process.exit(2);
}

if (values.limit !== undefined) {
  const scenarios = values.limit === 'all' ? DEFAULT_RATE_LIMIT_SCENARIOS : values.limit;
  const contacts = Number(values['limit-contacts']);
  try {
    parseScenarios(scenarios);
    if (!Number.isInteger(contacts) || contacts < 1)
      throw new Error('Expected --limit-contacts to be a positive integer.');
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'qwoty-bench-limits-'));
  try {
    const meta = { contacts, concurrency: 8, latencyMs, runs };
    const rows = await benchRateLimits({ ...meta, scenarios, workDir, log });
    console.log(`\n${formatRateLimitBench(rows, meta)}`);
    await mkdir(path.join(ROOT, '.bench'), { recursive: true });
    await writeFile(path.join(ROOT, '.bench', 'rate-limits.json'), `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  process.exit(0);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'qwoty-bench-'));
const results: SizeResult[] = [];
try {
  for (const contacts of sizes) results.push(await benchSize(contacts));
} finally {
  await rm(work, { recursive: true, force: true });
}

const table = formatTable(results);
console.log(`\n${table}`);
for (const result of results) {
  if (result.site)
    console.log(
      `\nSite at ${result.contacts.toLocaleString('en')} contacts:\n${formatSiteBench(result.site)}`,
    );
}
await mkdir(path.join(ROOT, '.bench'), { recursive: true });
await writeFile(path.join(ROOT, '.bench', 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
if (values['write-readme']) await writeReadme(table);

async function benchSize(contacts: number): Promise<SizeResult> {
  log(`${contacts.toLocaleString('en')} contacts: generating the workspace`);
  const server = await createQwotyServer({
    workspace: generateWorkspace({ contacts, seed: 1 }),
    token: TOKEN,
    latencyMs,
  });
  const baseline: Measured[] = [];
  const baselineRequest: Measured[] = [];
  const pipeline: Measured[] = [];
  let lastDataDir = '';
  try {
    for (let run = 0; run < runs; run += 1) {
      baseline.push(await child('baseline', server.url, await mkdtemp(path.join(work, 'baseline-'))));
      baselineRequest.push(
        await child('baseline-request', server.url, await mkdtemp(path.join(work, 'baseline-'))),
      );
      lastDataDir = await mkdtemp(path.join(work, 'data-'));
      pipeline.push(await child('pipeline', server.url, lastDataDir));
      log(
        `  run ${run + 1}: baseline ${seconds(baseline.at(-1)?.ms)} / ${mb(baseline.at(-1)?.maxRssMb)}, ` +
          `with request() ${seconds(baselineRequest.at(-1)?.ms)}, ` +
          `fetch+publish ${seconds(pipeline.at(-1)?.ms)} / ${mb(pipeline.at(-1)?.maxRssMb)}`,
      );
    }
    const nextNight = await child('pipeline', server.url, lastDataDir);
    log(
      `  next night (change report against the first): ${seconds(nextNight.ms)} / ${mb(nextNight.maxRssMb)}`,
    );
    const medianBaseline = median(baseline);
    const medianBaselineRequest = median(baselineRequest);
    const medianPipeline = median(pipeline);
    let site: SiteBenchResult | null = null;
    if (!values['no-site']) {
      log('  site: building it and a bare Astro site, then typing in Chromium');
      site = await measureSite({
        contacts,
        workDir: path.join(work, `site-${contacts}`),
        runs,
        log: (line) => log(`    ${line}`),
      });
    }
    return {
      contacts,
      latencyMs,
      baseline: medianBaseline,
      baselineRequest: medianBaselineRequest,
      pipeline: medianPipeline,
      nextNight,
      ratio: medianPipeline.ms / medianBaseline.ms,
      ratioToRequest: medianPipeline.ms / medianBaselineRequest.ms,
      site,
    };
  } finally {
    await server.close();
  }
}

function child(
  mode: 'baseline' | 'baseline-request' | 'pipeline',
  url: string,
  dir: string,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [CHILD, mode, url, TOKEN, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    process_.stdout.on('data', (chunk) => {
      out += chunk;
    });
    process_.on('error', reject);
    process_.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Measured);
      else reject(new Error(`The ${mode} run failed with exit code ${code}`));
    });
  });
}

function median(runs: Measured[]): Measured {
  const middle = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const half = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[half] ?? 0) : ((sorted[half - 1] ?? 0) + (sorted[half] ?? 0)) / 2;
  };
  return { ms: middle(runs.map((run) => run.ms)), maxRssMb: middle(runs.map((run) => run.maxRssMb)) };
}

function formatTable(rows: SizeResult[]): string {
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores, Node ${process.version}, API latency ${latencyMs} ms, median of ${runs} runs.`,
    '',
    '| contacts | baseline (requests with fetch() + one JSON write) | fetch+publish | ratio | baseline with undici request() / ratio to it | peak RSS baseline / fetch+publish | fetch+publish, next night | site build: first night / next night / bare Astro | ratios to bare | home (gzip) | search data (gzip, first search) | keystroke → results (median / p95) | query 1 s after load: preloaded / on demand (median) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const site = row.site;
    lines.push(
      `| ${row.contacts.toLocaleString('en')} | ${seconds(row.baseline.ms)} | ${seconds(row.pipeline.ms)} | ${row.ratio.toFixed(2)}× | ${seconds(row.baselineRequest.ms)} / ${row.ratioToRequest.toFixed(2)}× | ${mb(row.baseline.maxRssMb)} / ${mb(row.pipeline.maxRssMb)} | ${seconds(row.nextNight.ms)} | ` +
        (site
          ? `${seconds(site.buildMs)} / ${seconds(site.reuseBuildMs)} / ${seconds(site.bareBuildMs)} | ${site.buildRatio.toFixed(2)}× / ${(site.reuseBuildMs / site.bareBuildMs).toFixed(2)}× | ${kb(site.homeGzipBytes)} | ${kb(site.searchUpfrontGzipBytes)} | ${site.keystrokeMedianMs.toFixed(0)} / ${site.keystrokeP95Ms.toFixed(0)} ms | ${site.firstQuery.preloaded.medianMs.toFixed(0)} / ${site.firstQuery.onDemand.medianMs.toFixed(0)} ms |`
          : '– | – | – | – | – | – |'),
    );
  }
  return lines.join('\n');
}

async function writeReadme(table: string) {
  const file = path.join(ROOT, 'README.md');
  const readme = await readFile(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} block`);
  await writeFile(file, `${readme.slice(0, from + start.length)}\n${table}\n${readme.slice(to)}`);
  log('README.md updated');
}

function log(line: string) {
  console.log(line);
}
function seconds(ms: number | undefined) {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`;
}
function mb(value: number | undefined) {
  return value === undefined ? '–' : `${Math.round(value)} MB`;
}
function kb(bytes: number) {
  return `${(bytes / 1024).toFixed(0)} kB`;
}
