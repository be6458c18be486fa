/**
 * Debian's OpenSSH server on 127.0.0.1 and a free port, with a configuration, a host key and a user key of
 * its own in a temporary folder: it never reads the system's, and lets in only the user running the tests,
 * with that key. As root it needs `/run/sshd` (its privilege separation folder), which it creates as the
 * package would; as another user it can only let that user in, which is all a test needs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const SSHD_PATH = process.env.SSHD_PATH ?? '/usr/sbin/sshd';
export const hasSshd = () => existsSync(SSHD_PATH) && existsSync('/usr/bin/rsync');

export interface Sshd {
  port: number;
  /** `user@127.0.0.1`. */
  login: string;
  /** The private key that it accepts, as a file. */
  userKeyFile: string;
  /** The line of a known_hosts file that pins its host key (`[127.0.0.1]:port ssh-ed25519 …`). */
  knownHosts: string;
  /** Where its files are; a test may keep its own beside them. */
  dir: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A key pair with no passphrase: `<file>` and `<file>.pub`. */
export async function makeKey(file: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'qwoty-test', '-f', file]);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'qwoty-sshd-'));
  const hostKey = await makeKey(join(dir, 'host_key'));
  const userKey = await makeKey(join(dir, 'user_key'));
  await writeFile(join(dir, 'authorized_keys'), `${userKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temporary folder is the test's, not a home: do not check its owners and modes.
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk) => {
    log += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`sshd stopped at once:\n${log}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (tries > 100) throw new Error(`sshd did not listen on ${port}:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [type, key] = hostKey.split(' ');
  return {
    port,
    login: `${user}@127.0.0.1`,
    userKeyFile: join(dir, 'user_key'),
    knownHosts: `[127.0.0.1]:${port} ${type} ${key}`,
    dir,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
