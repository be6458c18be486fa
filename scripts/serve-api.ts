/**
 * `npm run api`: serves a generated workspace through the embedded Qwoty-compatible API until Ctrl+C, to
 * try the client, `curl` or `npm run fetch` against it without a real token.
 *
 *   npm run api -- --port 8787 --contacts 1000 --seed 1 --token demo-token
 *   npm run api -- --shape paginated     (a legal but unexpected answer; --help lists them)
 *   npm run api -- --rate-limit window:60/10s      (or bucket:40/s: a silent limit)
 */
import { runMain } from '../src/cli/run-main.ts';
import { API_COMMAND } from '../src/fake-api/commands.ts';
import { createQwotyServer, describeRateLimit, generateWorkspace, SCENARIOS } from '../src/fake-api/index.ts';
import { formatUsage, parseCommand } from '../src/shared/command.ts';
import { ConfigError, ExitCode } from '../src/shared/errors.ts';

await runMain('api', async () => {
  const parsed = parseCommand(API_COMMAND, process.env, process.argv.slice(2));
  if (parsed.help) {
    console.log(formatUsage(API_COMMAND));
    return ExitCode.ok;
  }
  const { port, host, contacts, seed, token, gzip, shape, rateLimit } = parsed.values;
  let server: Awaited<ReturnType<typeof createQwotyServer>>;
  try {
    server = await createQwotyServer({
      port,
      host,
      contacts,
      seed,
      token,
      compress: gzip,
      ...(shape ? SCENARIOS[shape]?.apply(generateWorkspace({ contacts, seed })) : {}),
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
  if (shape) console.log(`Shape: ${shape}: ${SCENARIOS[shape]?.description}`);
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
  return ExitCode.ok;
});
