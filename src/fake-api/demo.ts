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
import { type NightChanges, nextNight, nightSize } from './next-night.ts';
import { createQwotyServer, DEMO_TOKEN, type QwotyServer, type WorkspaceData } from './server.ts';

/** Where the entry points' output goes: the demo's own terminal, or writers (a test's). */
export type DemoOutput = 'inherit' | { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

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
  /**
   * The environment the entry points inherit, with the demo's settings on top. Its `QWOTY_API_TOKEN` is
   * never passed on: the fetch gets the demo token, the site build none.
   */
  env: Readonly<Record<string, string | undefined>>;
  /** The folder the entry points run in, and the one the paths in the closing summary are relative to. */
  cwd: string;
  /** The demo's own lines. */
  log: (line: string) => void;
  /** The entry points' output. */
  output: DemoOutput;
}

/** The folders of one demo, all under `<root>/.demo`. */
interface DemoFolders {
  data: string;
  site: string;
  siteCache: string;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const demoDir = path.join(options.root, '.demo');
  const folders = {
    data: path.join(demoDir, 'data'),
    site: path.join(demoDir, 'site'),
    siteCache: path.join(demoDir, 'site-cache'),
  };
  const { workspace, night } = demoWorkspace(options);
  const server = await startDemoApi(workspace, night, options);
  try {
    await runScript(options, 'fetch', fetchEnv(server, folders, options.deadline));
  } finally {
    await server.close();
  }
  await runScript(options, 'build-site', {
    QWOTY_DATA_DIR: folders.data,
    QWOTY_SITE_DIR: folders.site,
    // Its own incremental-build cache: the demo's pages would otherwise push the real site's out of it.
    QWOTY_SITE_CACHE_DIR: folders.siteCache,
  });
  options.log(demoSummary(folders, options.cwd));
}

/**
 * The generated workspace, with a few invalid and bent records so the demo shows rejects and normalised
 * fields too; on `nextNight`, the night after the last demo of this size and seed.
 */
function demoWorkspace(options: DemoOptions): { workspace: WorkspaceData; night: NightChanges | undefined } {
  const { contacts, seed } = options;
  const few = Math.max(1, Math.round(contacts / 400));
  const generated = generateWorkspace({ contacts, seed, invalid: few, bent: Math.min(few, contacts - few) });
  if (!options.nextNight) return { workspace: generated, night: undefined };
  const night = nightSize(contacts);
  const changed = nextNight(generated.contacts, { seed, now: options.now ?? new Date(), changes: night });
  return { workspace: { ...generated, contacts: changed }, night };
}

/** The embedded API on a free loopback port, with one rate-limited answer so the demo shows a retry. */
async function startDemoApi(
  workspace: WorkspaceData,
  night: NightChanges | undefined,
  options: DemoOptions,
): Promise<QwotyServer> {
  const { log, rateLimit } = options;
  const server = await createQwotyServer({
    workspace,
    seed: options.seed,
    faults: [{ path: '/contacts', kind: 'rateLimit', times: 1, retryAfter: 1 }],
    rateLimit,
  });
  log(`Embedded Qwoty API with ${options.contacts.toLocaleString('en')} generated contacts at ${server.url}`);
  if (night) {
    log(
      `The next night: ${night.changed} contacts changed, ${night.added} added and ${night.removed} removed since the last demo of this size and seed`,
    );
  }
  if (rateLimit) log(`Its rate limit: ${describeRateLimit(rateLimit)}`);
  return server;
}

/** The fetch's settings: the embedded API, the demo token, the demo's data folder. */
function fetchEnv(
  server: QwotyServer,
  folders: DemoFolders,
  deadline: string | undefined,
): Record<string, string> {
  return {
    QWOTY_API_URL: server.url,
    QWOTY_API_TOKEN: DEMO_TOKEN,
    QWOTY_DATA_DIR: folders.data,
    QWOTY_CUSTOMER_ID: '',
    QWOTY_DEMO: '1',
    // The demo publishes a fresh generated workspace each time: its size may change with --contacts.
    QWOTY_ALLOW_SHRINK: '1',
    // The fetch reads its deadline from the environment; the value is checked there like any other.
    ...(deadline === undefined ? {} : { QWOTY_DEADLINE_MINUTES: deadline }),
  };
}

/** What the demo made and what to do next, paths relative to `cwd`. */
export function demoSummary(folders: { data: string; site: string }, cwd: string): string {
  const rel = (p: string) => path.relative(cwd, p) || '.';
  return `
Demo ready (generated data, clearly fake; nothing left this machine):
  snapshot   ${rel(folders.data)}/  contacts.json, contacts.csv, contacts.xlsx, manifest.json,
             rejects.json (the invalid records, with reasons), changes.*, quality.*
  site       ${rel(folders.site)}/  serve it with: npm run preview:demo
  API        npm run api  starts the embedded API on its own

Run it for real: set QWOTY_API_TOKEN and run npm run nightly (see README.md).`;
}

/** The environment of an entry point: the demo's, without the real token, and `settings` on top. */
export function childEnv(
  env: Readonly<Record<string, string | undefined>>,
  settings: Record<string, string>,
): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    // A real QWOTY_API_TOKEN in this environment is never sent anywhere: the fetch gets the demo token.
    if (value !== undefined && name !== 'QWOTY_API_TOKEN') inherited[name] = value;
  }
  return { ...inherited, ...settings };
}

/** Runs one of our entry points with Node 22; a non-zero exit stops the demo. */
function runScript(options: DemoOptions, name: string, settings: Record<string, string>): Promise<void> {
  const { output } = options;
  return new Promise((resolve, reject) => {
    const script = path.join(options.root, 'scripts', `${name}.ts`);
    const child = spawn(options.node, [script], {
      cwd: options.cwd,
      env: childEnv(options.env, settings),
      stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    if (output !== 'inherit') {
      child.stdout?.pipe(output.stdout, { end: false });
      child.stderr?.pipe(output.stderr, { end: false });
    }
    child.on('error', reject);
    // `close`, not `exit`: the child's output has all been passed on by then.
    child.on('close', (code) => {
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
