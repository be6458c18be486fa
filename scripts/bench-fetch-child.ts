/**
 * One measured run for `npm run bench`, in its own process so that its peak memory is its own:
 *   node scripts/bench-fetch-child.ts baseline|baseline-request|pipeline <api-url> <token> <dir>
 * `baseline` sends the same HTTP requests as a fetch run with the global `fetch` (as a hand-written script
 * would) and writes one JSON file, nothing else; `baseline-request` does the same with undici's `request()`,
 * the HTTP client the pipeline uses, so the two baselines separate the client's cost from the pipeline's;
 * `pipeline` is a real fetch run (validation, snapshot, three formats, reports, atomic publish).
 * Prints one JSON line: { ms, maxRssMb }.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { request } from 'undici';
import { parseFetchConfig } from '../src/pipeline/config.ts';
import { runFetch } from '../src/pipeline/run-fetch.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { createReporter } from '../src/shared/reporter.ts';

const [mode, url = '', token = '', dir = ''] = process.argv.slice(2);
const CONCURRENCY = 8;

async function baseline(client: 'fetch' | 'request') {
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

async function pipeline() {
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
  const reporter = createReporter({ write: () => {}, interactive: false, quiet: true });
  await runFetch({
    config: parsed.config,
    reporter,
    tool: { name: 'bench', version: '0' },
    pid: process.pid,
  });
}

const started = performance.now();
if (mode === 'baseline') await baseline('fetch');
else if (mode === 'baseline-request') await baseline('request');
else if (mode === 'pipeline') await pipeline();
else throw new Error(`Expected mode baseline or pipeline, got ${mode}`);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
