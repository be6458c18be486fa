/**
 * What the server-kit tests (test/deploy/kit.test.ts, test/e2e/site-group-probe.test.ts) share: a system user
 * made as the README's "Install on a server" makes it, a checkout of the project for it, the kit's files
 * with their paths and user moved to a temporary place, and commands run as that user in the environment
 * cron or systemd would give them. Creating users needs root, `useradd` and `setpriv`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, cp, mkdir, readdir, symlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The paths and user the kit's files ship with (README, "Install on a server"). */
export const KIT = {
  checkout: '/srv/qwoty-directory',
  www: '/var/www/qwoty-directory',
  logDir: '/var/log/qwoty-directory',
  user: 'qwoty',
} as const;

export interface KitPlace {
  checkout: string;
  www: string;
  logDir: string;
  user: string;
}

/** A kit file's text with its paths and user replaced by `place`'s. */
export function placeKitFile(text: string, place: KitPlace): string {
  return text
    .replaceAll(KIT.checkout, place.checkout)
    .replaceAll(KIT.www, place.www)
    .replaceAll(KIT.logDir, place.logDir)
    .replace(/^(User|Group)=qwoty$/gm, `$1=${place.user}`)
    .replace(/^(\S+ \S+ \S+ \S+ \S+ )qwoty /gm, `$1${place.user} `)
    .replace(/^([ \t]*su )qwoty /gm, `$1${place.user} `)
    .replace(/^([ \t]*create \d+ )qwoty /gm, `$1${place.user} `);
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function runOrThrow(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed: ${stderr}`)) : resolve(stdout),
    ),
  );
}

const TOOLS = ['/usr/sbin/useradd', '/usr/sbin/userdel', '/usr/bin/setpriv'];

/** Why service users cannot be made here (not root, a tool missing), or undefined when they can. */
export function whyNoServiceUsers(): string | undefined {
  if (userInfo().uid !== 0) return 'they create a system user, which needs root';
  const missing = TOOLS.filter((tool) => !existsSync(tool));
  return missing.length > 0 ? `${missing.join(', ')} missing` : undefined;
}

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
  /** Deletes the user and its group. */
  remove(): Promise<void>;
}

/**
 * A system user of its own, as the README makes `qwoty`: no home, no login shell, a group of its own. The
 * name is distinctive (`qwkit` and a random part), so a test never touches a real account.
 */
export async function createServiceUser(extraGroups: string[] = []): Promise<ServiceUser> {
  const name = `qwkit${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  await retryLocked(() =>
    runOrThrow('/usr/sbin/useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      ...(extraGroups.length > 0 ? ['--groups', extraGroups.join(',')] : []),
      name,
    ]),
  );
  const uid = Number((await runOrThrow('/usr/bin/id', ['-u', name])).trim());
  const gid = Number((await runOrThrow('/usr/bin/id', ['-g', name])).trim());
  return {
    name,
    uid,
    gid,
    async remove() {
      await retryLocked(() => runOrThrow('/usr/sbin/userdel', [name])).catch(() => {});
    },
  };
}

/**
 * Runs `action` again while it fails because another test file holds /etc/passwd's lock (useradd and userdel
 * say "cannot lock"): test files run in parallel, and several make users.
 */
async function retryLocked<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= 20 || !/lock/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** What a clone holds that a run needs (no tests, no data); node_modules is linked, not copied. */
const CHECKOUT_ENTRIES = [
  'package.json',
  'package-lock.json',
  'astro.config.mjs',
  'tsconfig.json',
  'src',
  'scripts',
  'public',
  'deploy',
];

/**
 * A checkout of this project at `dir`, as `git clone` and `npm ci` would leave it (node_modules a link to
 * this one's), owned by `owner` when given (the README's `chown -R`), by root otherwise.
 */
export async function makeCheckout(dir: string, owner?: ServiceUser): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of CHECKOUT_ENTRIES) {
    await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  if (owner) await chownTree(dir, owner.uid, owner.gid);
}

/** `chown -R` without following links (node_modules stays root's). */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  const { lchown } = await import('node:fs/promises');
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await lchown(path.join(entry.parentPath, entry.name), uid, gid);
  }
}

/** `install -d -o <user> -g <group> -m <mode> dir`. */
export async function installDir(dir: string, uid: number, gid: number, mode: number): Promise<void> {
  const { chmod } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await chown(dir, uid, gid);
  await chmod(dir, mode);
}

/** Lines `NAME=value` of an environment file (systemd's EnvironmentFile=, cron's variables, `.env`). */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = line.match(/^[ \t]*([A-Za-z_]\w*)[ \t]*=(.*)$/);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/**
 * Runs `argv` as `user` (its uid, its group, its supplementary groups) with exactly `env` (`env -i`), from
 * `cwd`, under `umask`: how cron and systemd start a job.
 */
export function runAs(
  user: ServiceUser,
  argv: string[],
  options: { env: Record<string, string>; cwd: string; umask?: string },
): Promise<CommandResult> {
  const command = ['umask', options.umask ?? '022', '&&', 'exec', '"$@"'].join(' ');
  return run(
    '/usr/bin/setpriv',
    [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--init-groups',
      '/usr/bin/env',
      '-i',
      ...Object.entries(options.env).map(([name, value]) => `${name}=${value}`),
      '/bin/sh',
      '-c',
      command,
      'sh',
      ...argv,
    ],
    { cwd: options.cwd },
  );
}
