/**
 * The runs `npm run bench` compares, each run by `scripts/bench-fetch-child.ts` in its own process so that
 * its peak memory is its own:
 * - `baseline` sends the same HTTP requests as a fetch run with the global `fetch` (as a hand-written script
 *   would) and writes one JSON file, nothing else;
 * - `baseline-request` does the same with undici's `request()`, the HTTP client the pipeline uses, so the two
 *   baselines separate the client's cost from the pipeline's;
 * - `pipeline` is a real fetch run (validation, snapshot, three formats, reports, atomic publish).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { request } from 'undici';
import { parseFetchConfig } from '../pipeline/config.ts';
import { runFetch } from '../pipeline/run-fetch.ts';
import { limitHeapGrowth } from '../shared/heap.ts';
import { createReporter } from '../shared/reporter.ts';

export const FETCH_RUN_MODES = ['baseline', 'baseline-request', 'pipeline'] as const;
export type FetchRunMode = (typeof FETCH_RUN_MODES)[number];

export interface FetchRun {
  mode: FetchRunMode;
  url: string;
  token: string;
  /** Where the run writes: a new folder. */
  dir: string;
}

export interface Measured {
  ms: number;
  /** The process's peak resident memory, worker threads included. */
  maxRssMb: number;
}

const CONCURRENCY = 8;
const CHILD = path.resolve(import.meta.dirname, '../../scripts/bench-fetch-child.ts');

/** Runs `run` in this process and measures it; what the child process does. */
export async function measureFetchRun(run: FetchRun): Promise<Measured> {
  const started = performance.now();
  if (run.mode === 'pipeline') await pipeline(run);
  else await baseline(run, run.mode === 'baseline' ? 'fetch' : 'request');
  const ms = performance.now() - started;
  return { ms, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** Runs `run` in a new process (`scripts/bench-fetch-child.ts`) and reads its measures. */
export function measureFetchRunInChild(run: FetchRun): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, run.mode, run.url, run.token, run.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Measured);
      else reject(new Error(`The ${run.mode} run failed with exit code ${code}`));
    });
  });
}

async function baseline({ url, token, dir }: FetchRun, client: 'fetch' | 'request') {
  const headers = { authorization: `Bearer ${token}` };
  const get = async (pathname: string) => {
    const text =
      client === 'fetch'
        ? await (await fetch(`${url}${pathname}`, { headers })).text()
        : await (await request(`${url}${pathname}`, { headers })).body.text();
    return (JSON.parse(text) as { data: unknown }).data;
  };
  const [contacts, addresses] = await Promise.all([get('/contacts'), get('/addresses')]);
  const ids = [...new Set((contacts as { customer_id: string }[]).map((contact) => contact.customer_id))];
  const limit = pLimit(CONCURRENCY);
  const customers = await Promise.all(ids.map((id) => limit(() => get(`/customers/${id}`))));
  await writeFile(path.join(dir, 'baseline.json'), JSON.stringify({ contacts, addresses, customers }));
}

async function pipeline({ url, token, dir }: FetchRun) {
  // As scripts/fetch.ts does.
  limitHeapGrowth();
  const parsed = parseFetchConfig(
    {
      QWOTY_API_TOKEN: token,
      QWOTY_API_URL: url,
      QWOTY_DATA_DIR: dir,
      QWOTY_CONCURRENCY: String(CONCURRENCY),
    },
    [],
  );
  if (parsed.help) return;
  await runFetch({
    config: parsed.config,
    reporter: createReporter({ write: () => {}, interactive: false, quiet: true }),
    tool: { name: 'bench', version: '0' },
    pid: process.pid,
  });
}
