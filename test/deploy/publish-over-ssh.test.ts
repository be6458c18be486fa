/**
 * deploy/publish-over-ssh.sh against a real OpenSSH server on loopback (src/testing/sshd.ts). Without sshd or
 * rsync the suite is skipped with a message, except in CI (`CI` set), where .ci/run installs them.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasSshd, makeKey, SSHD_PATH, type Sshd, startSshd } from '../../src/testing/sshd.ts';

const SCRIPT = new URL('../../deploy/publish-over-ssh.sh', import.meta.url).pathname;

const suite = hasSshd() || process.env.CI ? describe : describe.skip;
if (!hasSshd() && !process.env.CI) {
  console.warn(`Skipping publish-over-ssh: no ${SSHD_PATH} or rsync (apt-get install openssh-server rsync).`);
}

interface Published {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

let sshd: Sshd;
let work: string;

/** Runs the script in a process group of its own, so that a test can kill it with its ssh and rsync. */
function publish(site: string, server: string, env: Record<string, string> = {}) {
  const child = spawn('bash', [SCRIPT, site, `${sshd.login}:${server}`], {
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: work,
      TMPDIR: join(work, 'tmp'),
      QWOTY_SSH_PORT: String(sshd.port),
      QWOTY_SSH_KEY_FILE: sshd.userKeyFile,
      QWOTY_SSH_KNOWN_HOSTS: sshd.knownHosts,
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output += String(chunk);
  });
  const done = new Promise<Published>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, done };
}

async function makeSite(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const site = join(work, name);
  for (const [file, body] of Object.entries(files)) {
    await mkdir(join(site, file, '..'), { recursive: true });
    await writeFile(join(site, file), body, { mode: 0o600 });
  }
  return site;
}

const live = async (server: string, file: string) => readFile(join(server, 'current', file), 'utf8');
const releases = async (server: string) => (await readdir(join(server, 'releases'))).sort();

beforeAll(async () => {
  if (!hasSshd() && !process.env.CI) return;
  work = await mkdtemp(join(tmpdir(), 'qwoty-publish-'));
  await mkdir(join(work, 'tmp'));
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

suite('deploy/publish-over-ssh.sh', () => {
  test('copies the site into a release and points `current` at it; the next night switches, keeping a few', async () => {
    const server = join(work, 'srv-switch');
    const first = await makeSite('site-1', { 'index.html': 'night 1', 'downloads/contacts.csv': 'a,b\n' });
    const one = await publish(first, server, { QWOTY_SSH_KEEP: '2' }).done;
    expect(one.code, one.output).toBe(0);
    expect(await live(server, 'index.html')).toBe('night 1');
    expect(await live(server, 'downloads/contacts.csv')).toBe('a,b\n');
    const [release1] = await releases(server);
    expect(await readlink(join(server, 'current'))).toBe(`releases/${release1}`);
    // Readable by the owner and the web server's group, by no one else.
    expect((await stat(join(server, 'current', 'index.html'))).mode & 0o777).toBe(0o640);
    expect((await stat(join(server, 'current', 'downloads'))).mode & 0o777).toBe(0o750);

    for (const night of [2, 3]) {
      const site = await makeSite(`site-${night}`, {
        'index.html': `night ${night}`,
        'downloads/contacts.csv': 'a,b\n',
      });
      const result = await publish(site, server, { QWOTY_SSH_KEEP: '2' }).done;
      expect(result.code, result.output).toBe(0);
      expect(await live(server, 'index.html')).toBe(`night ${night}`);
    }
    const kept = await releases(server);
    expect(kept).toHaveLength(2);
    expect(kept).not.toContain(release1);
    expect(await readlink(join(server, 'current'))).toBe(`releases/${kept[1]}`);
    // An unchanged file is a hard link to the previous release's: a night copies only what changed.
    const csv = await stat(join(server, 'releases', String(kept[1]), 'downloads/contacts.csv'));
    expect(csv.nlink).toBe(2);
    // The key and the known_hosts it was given as text were in a temporary folder, gone now.
    expect(await readdir(join(work, 'tmp'))).toEqual([]);
  });

  test('takes the key as text too, for a workflow step holding it in a secret', async () => {
    const server = join(work, 'srv-key-text');
    const site = await makeSite('site-key-text', { 'index.html': 'key as text' });
    const key = await readFile(sshd.userKeyFile, 'utf8');
    const result = await publish(site, server, { QWOTY_SSH_KEY_FILE: '', QWOTY_SSH_KEY: key }).done;
    expect(result.code, result.output).toBe(0);
    expect(await live(server, 'index.html')).toBe('key as text');
    expect(result.output).not.toContain('PRIVATE KEY');
  });

  test('refuses a server whose host key is not the pinned one, and one with no pinned key at all', async () => {
    const server = join(work, 'srv-mitm');
    const site = await makeSite('site-mitm', { 'index.html': 'x' });
    const other = (await makeKey(join(work, 'other_host_key'))).split(' ');
    const wrong = await publish(site, server, {
      QWOTY_SSH_KNOWN_HOSTS: `[127.0.0.1]:${sshd.port} ${other[0]} ${other[1]}`,
    }).done;
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/host key/i);
    expect(existsSync(server)).toBe(false);

    const none = await publish(site, server, { QWOTY_SSH_KNOWN_HOSTS: '' }).done;
    expect(none.code).toBe(2);
    expect(none.output).toContain('never trusted on first use');
  });

  test('refuses a target path it would have to quote, and a folder that is not a built site', async () => {
    const site = await makeSite('site-usage', { 'index.html': 'x' });
    expect((await publish(site, '/srv/$(reboot)').done).code).toBe(2);
    expect((await publish(site, 'relative/path').done).code).toBe(2);
    expect((await publish(join(work, 'tmp'), join(work, 'srv-usage')).done).code).toBe(2);
  });

  test('killed in the middle of the copy, leaves the live site as it was; the next run cleans up and publishes', async () => {
    const server = join(work, 'srv-kill');
    const old = await makeSite('site-old', { 'index.html': 'old night' });
    expect((await publish(old, server).done).code).toBe(0);
    const [oldRelease] = await releases(server);

    // About 20 s of copying at 200 KiB/s: time enough to be killed in the middle.
    const big = await makeSite('site-big', {
      'index.html': 'new night',
      'search/data.bin': randomBytes(4 << 20),
    });
    const run = publish(big, server, { QWOTY_SSH_BWLIMIT: '200' });
    await expect
      .poll(
        async () => {
          const partial = (await readdir(join(server, 'releases'))).find((name) =>
            name.startsWith('.partial-'),
          );
          return partial ? (await readdir(join(server, 'releases', partial), { recursive: true })).length : 0;
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBeGreaterThan(0);
    process.kill(-(run.child.pid as number), 'SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    expect(await readlink(join(server, 'current'))).toBe(`releases/${oldRelease}`);
    expect(await live(server, 'index.html')).toBe('old night');
    expect((await releases(server)).filter((name) => !name.startsWith('.'))).toEqual([oldRelease]);

    const again = await publish(big, server).done;
    expect(again.code, again.output).toBe(0);
    expect(await live(server, 'index.html')).toBe('new night');
    expect((await releases(server)).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 60_000);
});
