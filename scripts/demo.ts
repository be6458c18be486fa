/**
 * `npm run demo`: the whole pipeline with no token and no network. Starts the embedded Qwoty API on a free
 * loopback port, runs the real `npm run fetch` against it into `.demo/data` (never the real data folder),
 * builds the demo site into `.demo/site`, prints where everything is, and exits.
 *
 * Flags: --contacts <n> (default 2000), --seed <n> (default 1), --rate-limit <limit> (the API's rate limit, e.g.
 * window:60/10s or bucket:40/s), --deadline <minutes> (the fetch's), --help.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMain } from '../src/cli/run-main.ts';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { describeRateLimit, RATE_LIMIT_SPEC_HELP, rateLimitFlag } from '../src/fake-api/limiters.ts';
import { createQwotyServer, DEMO_TOKEN } from '../src/fake-api/server.ts';
import { ConfigError, ExitCode, QwotyError, toExitCode } from '../src/shared/errors.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEMO_DIR = path.join(ROOT, '.demo');
const DATA_DIR = path.join(DEMO_DIR, 'data');
const SITE_DIR = path.join(DEMO_DIR, 'site');

const USAGE = `Usage: npm run demo -- [--contacts 2000] [--seed 1] [--rate-limit <limit>] [--deadline <minutes>]

Runs the whole pipeline with no token and no network: the embedded Qwoty API with generated contacts, a
real fetch into .demo/data, and the site built into .demo/site (then: npm run preview:demo).

  --rate-limit  the API's workspace-level rate limit: ${RATE_LIMIT_SPEC_HELP}
  --deadline    the fetch's deadline in minutes (default 30): with a tight limit, customers not looked up
                in time keep the record of the previous demo run`;

await runMain('demo', async () => {
  let values: {
    contacts: string;
    seed: string;
    'rate-limit'?: string | undefined;
    deadline?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        contacts: { type: 'string', default: '2000' },
        seed: { type: 'string', default: '1' },
        'rate-limit': { type: 'string' },
        deadline: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see \`npm run demo -- --help\`.`, { cause: error });
  }
  if (values.help) {
    console.log(USAGE);
    return ExitCode.ok;
  }
  const contacts = Number(values.contacts);
  const seed = Number(values.seed);
  if (!Number.isInteger(contacts) || contacts < 1)
    throw new ConfigError('Expected `--contacts` to be a positive integer.');
  if (!Number.isInteger(seed)) throw new ConfigError('Expected `--seed` to be an integer.');
  const rateLimit = rateLimitFlag(values['rate-limit']);

  // A few invalid records and one rate-limited answer, so the demo shows rejects and a retry too.
  const workspace = generateWorkspace({ contacts, seed, invalid: Math.max(1, Math.round(contacts / 400)) });
  const server = await createQwotyServer({
    workspace,
    seed,
    faults: [{ path: '/contacts', kind: 'rateLimit', times: 1, retryAfter: 1 }],
    rateLimit,
  });
  console.log(`Embedded Qwoty API with ${contacts.toLocaleString('en')} generated contacts at ${server.url}`);
  if (rateLimit) console.log(`Its rate limit: ${describeRateLimit(rateLimit)}`);
  try {
    // The child gets the demo token only: a real QWOTY_API_TOKEN in this environment is never sent anywhere.
    await run('fetch', [path.join(ROOT, 'scripts', 'fetch.ts')], {
      QWOTY_API_URL: server.url,
      QWOTY_API_TOKEN: DEMO_TOKEN,
      QWOTY_DATA_DIR: DATA_DIR,
      QWOTY_CUSTOMER_ID: '',
      QWOTY_DEMO: '1',
      // The demo publishes a fresh generated workspace each time: its size may change with --contacts.
      QWOTY_ALLOW_SHRINK: '1',
      // The fetch reads its deadline from the environment; the flag is checked there like any other.
      ...(values.deadline === undefined ? {} : { QWOTY_DEADLINE_MINUTES: values.deadline }),
    });
  } finally {
    await server.close();
  }
  await run('build', [path.join(ROOT, 'scripts', 'build-site.ts')], {
    QWOTY_DATA_DIR: DATA_DIR,
    QWOTY_SITE_DIR: SITE_DIR,
    // Its own incremental-build cache: the demo's pages would otherwise push the real site's out of it.
    QWOTY_SITE_CACHE_DIR: path.join(DEMO_DIR, 'site-cache'),
  });

  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  console.log(`
Demo ready (generated data, clearly fake; nothing left this machine):
  snapshot   ${rel(DATA_DIR)}/  contacts.json, contacts.csv, contacts.xlsx, manifest.json,
             rejects.json (the invalid records, with reasons), changes.*, quality.*
  site       ${rel(SITE_DIR)}/  serve it with: npm run preview:demo
  API        npm run api  starts the embedded API on its own

Run it for real: set QWOTY_API_TOKEN and run npm run nightly (see README.md).`);
  return ExitCode.ok;
});

/** Runs one of our entry points with Node 22, inheriting output; a non-zero exit stops the demo. */
function run(name: string, args: string[], env: Record<string, string>): Promise<void> {
  const { QWOTY_API_TOKEN: _real, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...inherited, ...env } });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new QwotyError(
            `The demo's ${name} step failed (exit ${code}); see its output above.`,
            toExitCode(code),
          ),
        );
    });
  });
}
