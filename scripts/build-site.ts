/**
 * `npm run build`: builds the directory site into `QWOTY_SITE_DIR` (default `dist`) from the snapshot in
 * `QWOTY_DATA_DIR` (default `data`) alone: no network, no token. A missing, empty or damaged snapshot stops
 * it with one sentence and exit code 6.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'astro';
import { ExitCode, QwotyError } from '../src/lib/errors.ts';

/** The known error behind whatever Astro and Vite wrapped around it, if any. */
export function findQwotyError(error: unknown): QwotyError | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof QwotyError) return current;
    if (
      current.name &&
      current.name !== 'Error' &&
      /^(SnapshotIoError|ConfigError|DataRejectedError)$/.test(current.name)
    ) {
      // Astro may re-create errors across module graphs: keep the sentence and the exit code it implies.
      return new QwotyError(
        current.message,
        current.name === 'SnapshotIoError' ? ExitCode.io : ExitCode.config,
      );
    }
    seen.add(current);
    current = current.cause;
  }
  return undefined;
}

/** Builds the site; resolves when `outDir` holds it. Options come from `astro.config.mjs` and the environment. */
export async function buildSite(options: { root?: string; quiet?: boolean } = {}): Promise<void> {
  // The site never needs the token: make sure nothing in the build can read it.
  delete process.env.QWOTY_API_TOKEN;
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  await build({
    root: options.root ?? fileURLToPath(new URL('..', import.meta.url)),
    logLevel: options.quiet ? 'error' : 'info',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await buildSite();
  } catch (error) {
    const known = findQwotyError(error);
    if (!known) {
      console.error(error);
      process.exit(ExitCode.unexpected);
    }
    console.error(`npm run build: ${known.message}`);
    process.exit(known.exitCode);
  }
}
