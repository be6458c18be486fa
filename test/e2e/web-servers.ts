/**
 * Starts Debian's nginx or Caddy on 127.0.0.1 and a free port, configured by the files the project ships
 * (`deploy/nginx.conf`, `deploy/Caddyfile`) with only their site-specific lines replaced: the address and the
 * root. Each runs in the foreground as a child process, with every file it writes in a temporary folder, so
 * neither needs root nor touches the system's own configuration.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
export const CADDY_PATH = process.env.CADDY_PATH ?? '/usr/bin/caddy';

/** What Debian's default site answers (its index.nginx-debian.html says it in a page). */
export const DEBIAN_WELCOME = 'Welcome to nginx!';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

export interface WebServerOptions {
  /** The folder to serve: the `root` line. */
  root: string;
  /** Switch on the basic-auth lines the file ships commented out, with this one user. */
  basicAuth?: { user: string; password: string };
  /** nginx only, as root: run the workers as this user (`www-data`), as a distribution's nginx does. */
  workerUser?: string;
  /** nginx only, as root: the basic-auth user file's mode and group id (root's, mode 600 by default). */
  userFileAccess?: { mode: number; gid: number };
  /**
   * nginx only: a server block in the shape of Debian's default site (`default_server`, "Welcome to nginx!")
   * on the same address and port, as on a host where the package's site was left enabled.
   */
  besideDefaultSite?: boolean;
  /** Switch on the oauth2-proxy SSO the file ships commented out, proxying to this `host:port`. */
  sso?: { upstream: string };
}

export interface WebServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The configuration it was started with. */
  config: string;
  stop(): Promise<void>;
}

export interface WebServerKind {
  name: 'nginx' | 'Caddy';
  /** The shipped configuration file, under `deploy/`. */
  file: string;
  binary: string;
  start(options: WebServerOptions): Promise<WebServer>;
}

/** A port nothing listens on right now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Replaces the one line matching `line`; a file with none or several is not the one the tests know. */
function replaceOnce(text: string, line: RegExp, replacement: string, what: string): string {
  const found = text.match(new RegExp(line.source, 'gm')) ?? [];
  if (found.length !== 1)
    throw new Error(`Expected one ${what} line in the shipped file, found ${found.length}`);
  return text.replace(new RegExp(line.source, 'm'), replacement);
}

/**
 * Uncomments the lines between `# SSO from here` and `# SSO to here`, and `extra` lines anywhere, and points
 * them at `upstream` instead of oauth2-proxy's 127.0.0.1:4180: what an administrator does to switch SSO on.
 */
function enableSso(text: string, upstream: string, extra?: RegExp): string {
  const marker = text.match(/^\s*# SSO from here\n/m);
  const start = marker?.index === undefined ? -1 : marker.index + marker[0].length;
  const end = text.search(/^\s*# SSO to here$/m);
  if (start < 0 || end < start) throw new Error('Expected an SSO block in the shipped file');
  const uncomment = (block: string) => block.replace(/^(\s*)# ?/gm, '$1');
  let result = text.slice(0, start) + uncomment(text.slice(start, end)) + text.slice(end);
  if (extra) {
    const found = result.match(new RegExp(extra.source, 'gm')) ?? [];
    if (found.length === 0) throw new Error(`Expected lines matching ${extra} in the shipped file`);
    result = result.replace(new RegExp(extra.source, 'gm'), (line) => line.replace(/^(\s*)# /, '$1'));
  }
  if (!result.includes('127.0.0.1:4180')) throw new Error('Expected oauth2-proxy at 127.0.0.1:4180');
  return result.replaceAll('127.0.0.1:4180', upstream);
}

export function nginxServerBlock(
  template: string,
  port: number,
  options: WebServerOptions,
  userFile: string,
) {
  let block = replaceOnce(template, /^\s*listen\s[^;]*;$/, `    listen 127.0.0.1:${port};`, 'listen');
  block = replaceOnce(block, /^\s*root\s[^;]*;$/, `    root "${options.root}";`, 'root');
  if (options.basicAuth) {
    block = replaceOnce(block, /^(\s*)# (auth_basic\s.*;)$/, '$1$2', 'commented-out auth_basic');
    block = replaceOnce(
      block,
      /^(\s*)# auth_basic_user_file\s.*;$/,
      `$1auth_basic_user_file "${userFile}";`,
      'commented-out auth_basic_user_file',
    );
  }
  if (options.sso) block = enableSso(block, options.sso.upstream, /^\s*# auth_request \/oauth2\/auth;$/);
  return block;
}

export function caddySiteBlock(template: string, port: number, options: WebServerOptions, hash: string) {
  let block = replaceOnce(template, /^[^\s#].*\{$/, `http://127.0.0.1:${port} {`, 'site address');
  block = replaceOnce(block, /^\s*root \* .*$/, `\troot * "${options.root}"`, 'root');
  if (options.basicAuth) {
    const start = block.search(/^\s*# basicauth \{$/m);
    const end = block.indexOf('# }', start);
    if (start < 0 || end < 0) throw new Error('Expected a commented-out basicauth block in the shipped file');
    const enabled = block
      .slice(start, end + 3)
      .replace(/^(\s*)# /gm, '$1')
      // A function, not a string: the hash's `$14` would read as a back-reference.
      .replace(
        /^(\s*)\S+ \$2a\$.*$/m,
        (_line, indent: string) => `${indent}${options.basicAuth?.user} ${hash}`,
      );
    block = block.slice(0, start) + enabled + block.slice(end + 3);
  }
  if (options.sso) block = enableSso(block, options.sso.upstream);
  return block;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args[0]} failed: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** Waits until `url` answers, or fails with what the server wrote if it exits or takes too long. */
async function waitUntilServing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The server exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      await fetch(url, { redirect: 'manual' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`The server did not answer at ${url} within 15 s:\n${output()}`);
}

async function startChild(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  config: string,
  dir: string,
  logFile?: string,
): Promise<WebServer> {
  let output = '';
  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, child, () => output);
  } catch (error) {
    const log = logFile ? await readFile(logFile, 'utf8').catch(() => '') : '';
    await stop();
    throw new Error(`${(error as Error).message}\n${log}\nConfiguration:\n${config}`);
  }
  return { url, config, stop };
}

export const NGINX: WebServerKind = {
  name: 'nginx',
  file: 'nginx.conf',
  binary: NGINX_PATH,
  async start(options) {
    const dir = await mkdtemp(join(tmpdir(), 'qwoty-nginx-'));
    const port = await freePort();
    const userFile = join(dir, 'htpasswd');
    if (options.basicAuth) {
      await writeFile(userFile, `${options.basicAuth.user}:{PLAIN}${options.basicAuth.password}\n`, {
        mode: 0o600,
      });
      if (options.userFileAccess) {
        await chown(userFile, 0, options.userFileAccess.gid);
        await chmod(userFile, options.userFileAccess.mode);
      }
    }
    // Workers of another user pass through this folder to the user file, as through /etc/nginx.
    if (options.workerUser) await chmod(dir, 0o711);
    const server = nginxServerBlock(
      await readFile(join(DEPLOY, 'nginx.conf'), 'utf8'),
      port,
      options,
      userFile,
    );
    // The server block goes in an `http` context of its own, as in a distribution's nginx.conf, with every
    // path nginx writes inside `dir`. As root, nginx would hand its workers to `nobody`, who cannot read a
    // temporary folder: they keep the user running the tests.
    const temp = (name: string) => `${name}_temp_path "${join(dir, name)}";`;
    const config = [
      userInfo().uid === 0 ? `user ${options.workerUser ?? 'root'};` : '',
      'worker_processes 1;',
      'events { worker_connections 64; }',
      'http {',
      `  access_log "${join(dir, 'access.log')}";`,
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      server,
      options.besideDefaultSite
        ? `  server { listen 127.0.0.1:${port} default_server; server_name _; return 200 "${DEBIAN_WELCOME}"; }`
        : '',
      '}',
      '',
    ].join('\n');
    const file = join(dir, 'nginx.conf');
    await writeFile(file, config);
    const errorLog = join(dir, 'error.log');
    const globals = `daemon off; master_process on; pid "${join(dir, 'nginx.pid')}"; error_log "${errorLog}" warn;`;
    return startChild(
      NGINX_PATH,
      ['-p', dir, '-c', file, '-g', globals],
      process.env,
      port,
      config,
      dir,
      errorLog,
    );
  },
};

export const CADDY: WebServerKind = {
  name: 'Caddy',
  file: 'Caddyfile',
  binary: CADDY_PATH,
  async start(options) {
    const dir = await mkdtemp(join(tmpdir(), 'qwoty-caddy-'));
    const port = await freePort();
    const hash = options.basicAuth
      ? (await run(CADDY_PATH, ['hash-password', '--plaintext', options.basicAuth.password])).trim()
      : '';
    const site = caddySiteBlock(await readFile(join(DEPLOY, 'Caddyfile'), 'utf8'), port, options, hash);
    // No admin endpoint and no certificates: nothing listens but the site, and nothing is written outside
    // `dir` (Caddy keeps its data and autosaved config under XDG_DATA_HOME and XDG_CONFIG_HOME).
    const config = `{\n\tadmin off\n\tauto_https off\n}\n\n${site}`;
    const file = join(dir, 'Caddyfile');
    await writeFile(file, config);
    const env = {
      ...process.env,
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
    };
    return startChild(
      CADDY_PATH,
      ['run', '--config', file, '--adapter', 'caddyfile'],
      env,
      port,
      config,
      dir,
    );
  },
};

export const WEB_SERVERS = [NGINX, CADDY];

export function isInstalled(kind: WebServerKind): boolean {
  return existsSync(kind.binary);
}
