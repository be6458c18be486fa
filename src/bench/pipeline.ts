/**
 * `npm run bench`: the pipeline and the site at each size, on the embedded API.
 *
 * Per size, in one run and alternating so all see the same machine: the bare baseline, the same baseline with
 * undici's request() and the real fetch+publish (`fetch-runs.ts`), each in its own process so that its peak
 * memory is its own, median of `runs`; a second fetch over the first ("the next night", with the change
 * report against it); two heavy nights over a copy of the first, median of `runs` each: the same workspace
 * with every contact edited, and a whole new workspace with all ids new (the change report at its largest,
 * 100% against 100%, with the XLSX worker running); then the site (`site.ts`): built from a fixture snapshot of that size against a bare Astro build
 * with as many pages, and search timed in Chromium.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateWorkspace, type Workspace } from '../fake-api/generate.ts';
import { createQwotyServer } from '../fake-api/server.ts';
import { type FetchRun, type FetchRunMode, type Measured, measureFetchRunInChild } from './fetch-runs.ts';
import { formatSiteBench, measureSite, type SiteBenchResult } from './site.ts';
import { kilobytes, median, megabytes, seconds } from './stats.ts';

const TOKEN = 'bench-token';

export interface PipelineBenchOptions {
  sizes: readonly number[];
  runs: number;
  /** Added to every API answer, ms. */
  latencyMs: number;
  /** Measure the site too. */
  site: boolean;
  log: (line: string) => void;
}

export interface SizeResult {
  contacts: number;
  latencyMs: number;
  baseline: Measured;
  /** The same baseline with the pipeline's HTTP client (undici's request()) instead of fetch. */
  baselineRequest: Measured;
  pipeline: Measured;
  nextNight: Measured;
  /**
   * A night after the first where every contact changed (median of `runs`): the change report compares the
   * whole workspace with the whole previous snapshot and names every contact.
   */
  everyContactChanged: Measured;
  /** A night after the first where the whole workspace was replaced, all ids new (median of `runs`). */
  workspaceReplaced: Measured;
  ratio: number;
  /** `pipeline.ms / baselineRequest.ms`. */
  ratioToRequest: number;
  site: SiteBenchResult | null;
}

export async function benchPipeline(options: PipelineBenchOptions): Promise<SizeResult[]> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'qwoty-bench-'));
  const results: SizeResult[] = [];
  try {
    for (const contacts of options.sizes) results.push(await benchSize(contacts, work, options));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return results;
}

async function benchSize(contacts: number, work: string, options: PipelineBenchOptions): Promise<SizeResult> {
  const { latencyMs, log } = options;
  log(`${contacts.toLocaleString('en')} contacts: generating the workspace`);
  const workspace = generateWorkspace({ contacts, seed: 1 });
  const server = await createQwotyServer({ workspace, token: TOKEN, latencyMs });
  try {
    const ordinary = await measureOrdinaryNights(server.url, work, options);
    // The night every heavy night is compared with, kept before the next night publishes over it.
    const firstNight = path.join(work, `first-night-${contacts}`);
    await cp(ordinary.lastDataDir, firstNight, { recursive: true, verbatimSymlinks: true });
    const nextNight = await measureFetchRunInChild(fetchRun(server.url, ordinary.lastDataDir));
    log(
      `  next night (change report against the first): ${seconds(nextNight.ms)} / ${megabytes(nextNight.maxRssMb)}`,
    );
    const heavy = (name: string, night: Workspace) =>
      measureHeavyNight({ name, workspace: night, firstNight, work, options });
    const everyContactChanged = await heavy('every contact changed', editEveryContact(workspace));
    const workspaceReplaced = await heavy(
      'the whole workspace was replaced (all new ids)',
      generateWorkspace({ contacts, seed: 2 }),
    );
    await rm(firstNight, { recursive: true, force: true });
    const pipeline = medianRun(ordinary.pipeline);
    const baseline = medianRun(ordinary.baseline);
    const baselineRequest = medianRun(ordinary.baselineRequest);
    return {
      contacts,
      latencyMs,
      baseline,
      baselineRequest,
      pipeline,
      nextNight,
      everyContactChanged,
      workspaceReplaced,
      ratio: pipeline.ms / baseline.ms,
      ratioToRequest: pipeline.ms / baselineRequest.ms,
      site: options.site ? await benchSite(contacts, work, options) : null,
    };
  } finally {
    await server.close();
  }
}

function fetchRun(url: string, dir: string, mode: FetchRunMode = 'pipeline'): FetchRun {
  return { mode, url, token: TOKEN, dir };
}

/**
 * The bare baselines and the real fetch+publish, alternating so all see the same machine, each a first night
 * into a new folder; `lastDataDir` is the last fetch+publish's.
 */
async function measureOrdinaryNights(url: string, work: string, { runs, log }: PipelineBenchOptions) {
  const measure = async (mode: FetchRunMode) =>
    measureFetchRunInChild(
      fetchRun(url, await mkdtemp(path.join(work, mode === 'pipeline' ? 'data-' : 'baseline-')), mode),
    );
  const baseline: Measured[] = [];
  const baselineRequest: Measured[] = [];
  const pipeline: Measured[] = [];
  let lastDataDir = '';
  for (let run = 0; run < runs; run += 1) {
    baseline.push(await measure('baseline'));
    baselineRequest.push(await measure('baseline-request'));
    lastDataDir = await mkdtemp(path.join(work, 'data-'));
    pipeline.push(await measureFetchRunInChild(fetchRun(url, lastDataDir)));
    log(
      `  run ${run + 1}: baseline ${seconds(baseline.at(-1)?.ms)} / ${megabytes(baseline.at(-1)?.maxRssMb)}, ` +
        `with request() ${seconds(baselineRequest.at(-1)?.ms)}, ` +
        `fetch+publish ${seconds(pipeline.at(-1)?.ms)} / ${megabytes(pipeline.at(-1)?.maxRssMb)}`,
    );
  }
  return { baseline, baselineRequest, pipeline, lastDataDir };
}

/**
 * A heavy night, median of `runs`: the API serves `workspace`, and each run fetches and publishes it over a
 * fresh copy of `firstNight`, so that its change report compares the whole workspace with the whole previous
 * snapshot every time, in a process of its own (its peak memory is its own, the XLSX worker's included).
 */
async function measureHeavyNight(heavy: {
  name: string;
  workspace: Workspace;
  firstNight: string;
  work: string;
  options: PipelineBenchOptions;
}): Promise<Measured> {
  const { runs, latencyMs, log } = heavy.options;
  const server = await createQwotyServer({ workspace: heavy.workspace, token: TOKEN, latencyMs });
  const measured: Measured[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      const dir = await mkdtemp(path.join(heavy.work, 'heavy-'));
      await cp(heavy.firstNight, dir, { recursive: true, verbatimSymlinks: true });
      measured.push(await measureFetchRunInChild(fetchRun(server.url, dir)));
      await rm(dir, { recursive: true, force: true });
      log(
        `  a night where ${heavy.name}, run ${run + 1}: ${seconds(measured.at(-1)?.ms)} / ${megabytes(measured.at(-1)?.maxRssMb)}`,
      );
    }
  } finally {
    await server.close();
  }
  return medianRun(measured);
}

async function benchSite(contacts: number, work: string, { runs, log }: PipelineBenchOptions) {
  log('  site: building it and a bare Astro site, then typing in Chromium');
  return measureSite({
    contacts,
    workDir: path.join(work, `site-${contacts}`),
    runs,
    log: (line) => log(`    ${line}`),
  });
}

/**
 * The same workspace with every contact's last name and phone edited and its `updated_at` moved, as after a
 * bulk change in Qwoty.
 */
function editEveryContact(workspace: Workspace): Workspace {
  const updatedAt = new Date().toISOString();
  const contacts = (workspace.contacts as Record<string, unknown>[]).map((contact, index) => ({
    ...contact,
    last_name: `${contact.last_name ?? ''} (edited)`,
    phone: `+33 1 00 ${String(index).padStart(6, '0')}`,
    updated_at: updatedAt,
  }));
  return { ...workspace, contacts };
}

function medianRun(runs: readonly Measured[]): Measured {
  return { ms: median(runs.map((run) => run.ms)), maxRssMb: median(runs.map((run) => run.maxRssMb)) };
}

/** The README's table: one row per size. */
export function formatPipelineBench(rows: readonly SizeResult[], meta: { runs: number; latencyMs: number }) {
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores, Node ${process.version}, API latency ${meta.latencyMs} ms, median of ${meta.runs} runs.`,
    '',
    '| contacts | baseline (requests with fetch() + one JSON write) | fetch+publish | ratio | baseline with undici request() / ratio to it | peak RSS baseline / fetch+publish | fetch+publish, next night | every contact changed / workspace replaced (time, peak RSS) | site build: first night / next night / bare Astro | ratios to bare | home (gzip) | search data (gzip, first search) | keystroke → results (median / p95) | query 1 s after load: preloaded / on demand (median) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const site = row.site;
    lines.push(
      `| ${row.contacts.toLocaleString('en')} | ${seconds(row.baseline.ms)} | ${seconds(row.pipeline.ms)} | ${row.ratio.toFixed(2)}× | ${seconds(row.baselineRequest.ms)} / ${row.ratioToRequest.toFixed(2)}× | ${megabytes(row.baseline.maxRssMb)} / ${megabytes(row.pipeline.maxRssMb)} | ${seconds(row.nextNight.ms)} | ${heavyCell(row.everyContactChanged)} / ${heavyCell(row.workspaceReplaced)} | ` +
        (site
          ? `${seconds(site.buildMs)} / ${seconds(site.reuseBuildMs)} / ${seconds(site.bareBuildMs)} | ${site.buildRatio.toFixed(2)}× / ${(site.reuseBuildMs / site.bareBuildMs).toFixed(2)}× | ${kilobytes(site.homeGzipBytes)} | ${kilobytes(site.searchUpfrontGzipBytes)} | ${site.keystrokeMedianMs.toFixed(0)} / ${site.keystrokeP95Ms.toFixed(0)} ms | ${site.firstQuery.preloaded.medianMs.toFixed(0)} / ${site.firstQuery.onDemand.medianMs.toFixed(0)} ms |`
          : '– | – | – | – | – | – |'),
    );
  }
  return lines.join('\n');
}

function heavyCell(night: Measured): string {
  return `${seconds(night.ms)}, ${megabytes(night.maxRssMb)}`;
}

/** The site's figures of every size that has them, after the table. */
export function formatSiteDetails(rows: readonly SizeResult[]): string {
  return rows
    .flatMap((row) =>
      row.site
        ? [`\nSite at ${row.contacts.toLocaleString('en')} contacts:\n${formatSiteBench(row.site)}`]
        : [],
    )
    .join('\n');
}
