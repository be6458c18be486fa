/**
 * What every entry point shares: files readable by their owner only, run `main`, print a known failure as its
 * one sentence (never a stack, never the token), print a bug with its stack, and exit with the documented code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ExitCode, QwotyError } from '../shared/errors.ts';

export const TOOL = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version };
})();

/** True on a terminal outside CI: progress is redrawn in place there, and written as lines elsewhere. */
export function isInteractive(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/** Loads `.env` from the working directory when there is one; variables already set win. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Replaces every occurrence of the secrets in `text`, as a last line of defence. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets)
    if (secret && secret.length >= 4) result = result.split(secret).join('[redacted]');
  return result;
}

export async function runMain(name: string, main: () => Promise<number | undefined>): Promise<void> {
  // Snapshots, sites and caches hold personal data: what any entry point creates is its owner's only, so a
  // shared host (cron on a server) does not expose them whatever the login's umask. Child processes inherit it.
  process.umask(0o077);
  let code: number;
  try {
    code = (await main()) ?? ExitCode.ok;
  } catch (error) {
    // Read now, not before: `main` may have loaded the token from .env.
    const secrets = [process.env.QWOTY_API_TOKEN?.trim()];
    if (error instanceof QwotyError) {
      process.stderr.write(redact(`${name} failed: ${error.message}\n`, secrets));
      code = error.exitCode;
    } else {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(
        redact(`${name} failed unexpectedly (a bug; please report it):\n${text}\n`, secrets),
      );
      code = ExitCode.unexpected;
    }
  }
  process.exitCode = code;
}
