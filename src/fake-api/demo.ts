/**
 * `npm run demo`: the whole pipeline with no token and no network. Starts the embedded Qwoty API on a free
 * loopback port, runs the real `npm run fetch` against it into `.demo/data` (never the real data folder),
 * builds the demo site into `.demo/site`, and says where everything is.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { QwotyError, toExitCode } from '../shared/errors.ts';
import { generateWorkspace } from './generate.ts';
import { describeRateLimit, type RateLimitSpec } from './limiters.ts';
import { nextNight, nightSize } from './next-night.ts';
import { createQwotyServer, DEMO_TOKEN } from './server.ts';

export interface DemoOptions {
  contacts: number;
  seed: number;
  /** The API's workspace-level rate limit, if any. */
  rateLimit?: RateLimitSpec | undefined;
  /** The fetch's deadline in minutes, as typed. */
  deadline?: string | undefined;
  /** The night after the last demo: the same workspace with a handful of contacts changed, added and removed. */
  nextNight?: boolean | undefined;
  /** The time of that night (tests); now by default. */
  now?: Date | undefined;
  /** The project folder: the entry points are run from its `scripts/`, the demo written to its `.demo/`. */
  root: string;
  /** Node 22, to run the entry points with. */
  node: string;
  log: (line: string) => void;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { contacts, seed, root, log } = options;
  const demoDir = path.join(root, '.demo');
  const dataDir = path.join(demoDir, 'data');
  const siteDir = path.join(demoDir, 'site');
  const run = (name: string, env: Record<string, string>) => runScript(options.node, root, name, env);
  // A few invalid and bent records and one rate-limited answer, so the demo shows rejects, normalised
  // fields and a retry too.
  const few = Math.max(1, Math.round(contacts / 400));
  const generated = generateWorkspace({ contacts, seed, invalid: few, bent: Math.min(few, contacts - few) });
  const night = options.nextNight ? nightSize(contacts) : undefined;
  const workspace = night
    ? {
        ...generated,
        contacts: nextNight(generated.contacts, { seed, now: options.now ?? new Date(), changes: night }),
      }
    : generated;
  const server = await createQwotyServer({
    workspace,
    seed,
    faults: [{ path: '/contacts', kind: 'rateLimit', times: 1, retryAfter: 1 }],
    rateLimit: options.rateLimit,
  });
  log(`Embedded Qwoty API with ${contacts.toLocaleString('en')} generated contacts at ${server.url}`);
  if (night) {
    log(
      `The next night: ${night.changed} contacts changed, ${night.added} added and ${night.removed} removed since the last demo of this size and seed`,
    );
  }
  if (options.rateLimit) log(`Its rate limit: ${describeRateLimit(options.rateLimit)}`);
  try {
    // The child gets the demo token only: a real QWOTY_API_TOKEN in this environment is never sent anywhere.
    await run('fetch', {
      QWOTY_API_URL: server.url,
      QWOTY_API_TOKEN: DEMO_TOKEN,
      QWOTY_DATA_DIR: dataDir,
      QWOTY_CUSTOMER_ID: '',
      QWOTY_DEMO: '1',
      // The demo publishes a fresh generated workspace each time: its size may change with --contacts.
      QWOTY_ALLOW_SHRINK: '1',
      // The fetch reads its deadline from the environment; the value is checked there like any other.
      ...(options.deadline === undefined ? {} : { QWOTY_DEADLINE_MINUTES: options.deadline }),
    });
  } finally {
    await server.close();
  }
  await run('build-site', {
    QWOTY_DATA_DIR: dataDir,
    QWOTY_SITE_DIR: siteDir,
    // Its own incremental-build cache: the demo's pages would otherwise push the real site's out of it.
    QWOTY_SITE_CACHE_DIR: path.join(demoDir, 'site-cache'),
  });

  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  log(`
Demo ready (generated data, clearly fake; nothing left this machine):
  snapshot   ${rel(dataDir)}/  contacts.json, contacts.csv, contacts.xlsx, manifest.json,
             rejects.json (the invalid records, with reasons), changes.*, quality.*
  site       ${rel(siteDir)}/  serve it with: npm run preview:demo
  API        npm run api  starts the embedded API on its own

Run it for real: set QWOTY_API_TOKEN and run npm run nightly (see README.md).`);
}

/** Runs one of our entry points with Node 22, inheriting output; a non-zero exit stops the demo. */
function runScript(node: string, root: string, name: string, env: Record<string, string>): Promise<void> {
  const { QWOTY_API_TOKEN: _real, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const script = path.join(root, 'scripts', `${name}.ts`);
    const child = spawn(node, [script], { stdio: 'inherit', env: { ...inherited, ...env } });
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
