/**
 * What every entry point shares: files readable by their owner only, run `main`, print a known failure as its
 * one sentence (never a stack, never the token), print a bug with its stack, and exit with the documented code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
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

/**
 * Loads `.env` from the working directory when there is one. A variable already set in the environment wins,
 * as with dotenv, Node's `--env-file` and Docker Compose: the environment is what this one run was given (a
 * systemd `EnvironmentFile=`, a CI secret, an `export` in the shell), `.env` the checkout's standing default.
 * Winning silently is what hurt (a stale token exported long ago hid the good one in `.env`): returns one
 * sentence per `QWOTY_*` variable set in both with different values, naming the source used, never a value.
 */
export function loadDotEnv(file = '.env', env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(file)) return [];
  const notes: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    const current = env[name];
    if (value === undefined) continue;
    if (current === undefined) env[name] = value;
    else if (name.startsWith('QWOTY_') && current.trim() !== value.trim()) {
      notes.push(
        `${name} is set both in the environment and in ${file}, with different values: the environment's is used (unset it there to use ${file}).`,
      );
    }
  }
  return notes;
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
