/**
 * `npm run bench`: the pipeline and the site at each size, on the embedded API.
 *
 * Per size, in one run and alternating so all see the same machine: the bare baseline, the same baseline with
 * undici's request() and the real fetch+publish (`fetch-runs.ts`), each in its own process so that its peak
 * memory is its own, median of `runs`; a second fetch over the first ("the next night", with the change
 * report against it); a third against the same workspace with every contact edited (the change report at its
 * largest); then the site (`site.ts`): built from a fixture snapshot of that size against a bare Astro build
 * with as many pages, and search timed in Chromium.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateWorkspace, type Workspace } from '../fake-api/generate.ts';
import { createQwotyServer } from '../fake-api/server.ts';
import { type FetchRunMode, type Measured, measureFetchRunInChild } from './fetch-runs.ts';
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
  /** A night over the next one where every contact changed: the change report names them all. */
  everyContactChanged: Measured;
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
  const { runs, latencyMs, log } = options;
  log(`${contacts.toLocaleString('en')} contacts: generating the workspace`);
  const workspace = generateWorkspace({ contacts, seed: 1 });
  const server = await createQwotyServer({ workspace, token: TOKEN, latencyMs });
  const measure = async (mode: FetchRunMode, dir?: string) =>
    measureFetchRunInChild({
      mode,
      url: server.url,
      token: TOKEN,
      dir: dir ?? (await mkdtemp(path.join(work, mode === 'pipeline' ? 'data-' : 'baseline-'))),
    });
  const baseline: Measured[] = [];
  const baselineRequest: Measured[] = [];
  const pipeline: Measured[] = [];
  let lastDataDir = '';
  try {
    for (let run = 0; run < runs; run += 1) {
      baseline.push(await measure('baseline'));
      baselineRequest.push(await measure('baseline-request'));
      lastDataDir = await mkdtemp(path.join(work, 'data-'));
      pipeline.push(await measure('pipeline', lastDataDir));
      log(
        `  run ${run + 1}: baseline ${seconds(baseline.at(-1)?.ms)} / ${megabytes(baseline.at(-1)?.maxRssMb)}, ` +
          `with request() ${seconds(baselineRequest.at(-1)?.ms)}, ` +
          `fetch+publish ${seconds(pipeline.at(-1)?.ms)} / ${megabytes(pipeline.at(-1)?.maxRssMb)}`,
      );
    }
    const nextNight = await measure('pipeline', lastDataDir);
    log(
      `  next night (change report against the first): ${seconds(nextNight.ms)} / ${megabytes(nextNight.maxRssMb)}`,
    );
    const edited = await createQwotyServer({
      workspace: editEveryContact(workspace),
      token: TOKEN,
      latencyMs,
    });
    let everyContactChanged: Measured;
    try {
      everyContactChanged = await measureFetchRunInChild({
        mode: 'pipeline',
        url: edited.url,
        token: TOKEN,
        dir: lastDataDir,
      });
    } finally {
      await edited.close();
    }
    log(
      `  a night where every contact changed: ${seconds(everyContactChanged.ms)} / ${megabytes(everyContactChanged.maxRssMb)}`,
    );
    const medianBaseline = medianRun(baseline);
    const medianBaselineRequest = medianRun(baselineRequest);
    const medianPipeline = medianRun(pipeline);
    let site: SiteBenchResult | null = null;
    if (options.site) {
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
      everyContactChanged,
      ratio: medianPipeline.ms / medianBaseline.ms,
      ratioToRequest: medianPipeline.ms / medianBaselineRequest.ms,
      site,
    };
  } finally {
    await server.close();
  }
}

/** The same workspace with every contact's last name and phone edited, as after a bulk change in Qwoty. */
function editEveryContact(workspace: Workspace): Workspace {
  const contacts = (workspace.contacts as Record<string, unknown>[]).map((contact, index) => ({
    ...contact,
    last_name: `${contact.last_name ?? ''} (edited)`,
    phone: `+33 1 00 ${String(index).padStart(6, '0')}`,
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
    '| contacts | baseline (requests with fetch() + one JSON write) | fetch+publish | ratio | baseline with undici request() / ratio to it | peak RSS baseline / fetch+publish | fetch+publish, next night / every contact changed (time, peak RSS) | site build: first night / next night / bare Astro | ratios to bare | home (gzip) | search data (gzip, first search) | keystroke → results (median / p95) | query 1 s after load: preloaded / on demand (median) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const site = row.site;
    lines.push(
      `| ${row.contacts.toLocaleString('en')} | ${seconds(row.baseline.ms)} | ${seconds(row.pipeline.ms)} | ${row.ratio.toFixed(2)}× | ${seconds(row.baselineRequest.ms)} / ${row.ratioToRequest.toFixed(2)}× | ${megabytes(row.baseline.maxRssMb)} / ${megabytes(row.pipeline.maxRssMb)} | ${seconds(row.nextNight.ms)} / ${seconds(row.everyContactChanged.ms)}, ${megabytes(row.everyContactChanged.maxRssMb)} | ` +
        (site
          ? `${seconds(site.buildMs)} / ${seconds(site.reuseBuildMs)} / ${seconds(site.bareBuildMs)} | ${site.buildRatio.toFixed(2)}× / ${(site.reuseBuildMs / site.bareBuildMs).toFixed(2)}× | ${kilobytes(site.homeGzipBytes)} | ${kilobytes(site.searchUpfrontGzipBytes)} | ${site.keystrokeMedianMs.toFixed(0)} / ${site.keystrokeP95Ms.toFixed(0)} ms | ${site.firstQuery.preloaded.medianMs.toFixed(0)} / ${site.firstQuery.onDemand.medianMs.toFixed(0)} ms |`
          : '– | – | – | – | – | – |'),
    );
  }
  return lines.join('\n');
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
