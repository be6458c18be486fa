/**
 * `npm run api`: serves a generated workspace through the embedded Qwoty-compatible API until Ctrl+C, to
 * try the client, `curl` or `npm run fetch` against it without a real token.
 *
 *   npm run api -- --port 8787 --contacts 1000 --seed 1 --token demo-token
 *   npm run api -- --rate-limit window:60/10s      (or bucket:40/s: a silent limit)
 */
import { parseArgs } from 'node:util';
import { runMain } from '../src/cli/run-main.ts';
import {
  createQwotyServer,
  DEMO_TOKEN,
  describeRateLimit,
  RATE_LIMIT_SPEC_HELP,
  rateLimitFlag,
} from '../src/fake-api/index.ts';
import { ConfigError } from '../src/shared/errors.ts';

const USAGE = `Usage: npm run api -- [--port 8787] [--host 127.0.0.1] [--contacts 1000] [--seed 1] [--token ${DEMO_TOKEN}] [--gzip]
                      [--rate-limit <limit>]
  --rate-limit  a workspace-level rate limit: ${RATE_LIMIT_SPEC_HELP}`;

function integerFlag(name: string, value: string, minimum: number, maximum: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < minimum || number > maximum) {
    throw new ConfigError(
      `Expected \`--${name}\` to be an integer from ${minimum} to ${maximum}, got "${value}".`,
    );
  }
  return number;
}

async function main(): Promise<number | undefined> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const port = integerFlag('port', values.port, 0, 65_535);
  const contacts = integerFlag('contacts', values.contacts, 0, 10_000_000);
  const seed = integerFlag('seed', values.seed, 0, 4_294_967_295);
  if (values.token.trim() === '') throw new ConfigError('Expected `--token` to be a non-empty string.');
  const rateLimit = rateLimitFlag(values['rate-limit']);

  let server: Awaited<ReturnType<typeof createQwotyServer>>;
  try {
    server = await createQwotyServer({
      port,
      host: values.host,
      contacts,
      seed,
      token: values.token,
      compress: values.gzip,
      rateLimit,
    });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new ConfigError(
        `Port ${port} is already in use: pass another --port, or --port 0 for a free one.`,
      );
    }
    throw error;
  }
  console.log(
    `Qwoty demo API: ${contacts.toLocaleString('en')} generated contacts (seed ${seed}) at ${server.url}`,
  );
  console.log(`Token: ${server.token}   (the demo token, not a secret)`);
  if (rateLimit) console.log(`Limit: ${describeRateLimit(rateLimit)}`);
  console.log(`Try:   curl -H 'Authorization: Bearer ${server.token}' ${server.url}/contacts`);
  console.log(`Fetch: QWOTY_API_URL=${server.url} QWOTY_API_TOKEN=${server.token} npm run fetch`);
  console.log('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  const { total, byStatus } = server.stats();
  console.log(`Stopped after ${total} requests ${JSON.stringify(byStatus)}.`);
  return undefined;
}

function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      contacts: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      token: { type: 'string', default: DEMO_TOKEN },
      gzip: { type: 'boolean', default: false },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

await runMain('npm run api', main);
