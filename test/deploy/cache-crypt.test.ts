/**
 * `.github/scripts/cache-crypt.sh`, which the nightly workflow runs on the snapshot, the site cache and the
 * downloads before they leave the runner, run for real with Debian's gpg on a throwaway key.
 *
 * Without gpg they are skipped with a message, except in CI (`CI` set), where that fails.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../.github/scripts/cache-crypt.sh', import.meta.url));
const GPG = '/usr/bin/gpg';
const MARKER = 'PLAINTEXT-MARKER ada.lovelace@example.com +44 20 7946 0000';

const missing = !existsSync(GPG);
const inCi = Boolean(process.env.CI);
if (missing && !inCi) {
  console.warn(
    `Skipping the cache encryption tests: no gpg at ${GPG}. Install it with \`apt-get install -y gpg\`.`,
  );
}
const suite = missing && !inCi ? describe.skip : describe;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function crypt(args: string[], key: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { QWOTY_CACHE_KEY: _inherited, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      { env: { ...rest, ...env, ...(key === undefined ? {} : { QWOTY_CACHE_KEY: key }) } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Every entry under `dir`, relative, with a file's text or a link's target. */
async function tree(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const name = path.slice(dir.length + 1);
    if (entry.isSymbolicLink()) entries[name] = `-> ${await readlink(path)}`;
    else if (entry.isDirectory()) entries[name] = '(folder)';
    else entries[name] = await readFile(path, 'utf8');
  }
  return entries;
}

let dir: string;
let source: string;
const key = `throwaway-${Math.random().toString(36).slice(2)}-${Date.now()}`;

suite('cache-crypt.sh', () => {
  beforeAll(async () => {
    if (missing) throw new Error(`No gpg at ${GPG}: CI must install it (apt-get install -y gpg).`);
    dir = await mkdtemp(join(tmpdir(), 'qwoty-crypt-'));
    // Shaped like the data folder: a snapshot folder, links into it, a hidden folder, an empty one.
    source = join(dir, 'data');
    await mkdir(join(source, '.snapshots/20261202T021700Z-abc123'), { recursive: true });
    await mkdir(join(source, 'empty'));
    await writeFile(join(source, '.snapshots/20261202T021700Z-abc123/contacts.csv'), `${MARKER}\r\n`);
    await symlink('.snapshots/20261202T021700Z-abc123', join(source, 'current'));
    await symlink('current/contacts.csv', join(source, 'contacts.csv'));
    await writeFile(join(source, 'README.md'), 'Snapshots hold personal data.\n');
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('encrypts a folder into one OpenPGP file that holds none of its text, and decrypts it back exactly', async () => {
    const encrypted = join(dir, 'cache/data.tar.gpg');
    const sealed = await crypt(['encrypt', source, encrypted], key);
    expect(sealed).toMatchObject({ code: 0, stderr: '' });
    expect(sealed.stdout).toMatch(/^cache-crypt: encrypted .* into .*data\.tar\.gpg \(/);
    const bytes = await readFile(encrypted);
    // A symmetric-key encrypted session key packet (tag 3) first, in the old or the new packet format.
    expect([0x8c, 0xc3]).toContain(bytes[0]);
    for (const text of [MARKER, 'ada.lovelace', 'contacts.csv', '.snapshots', key]) {
      expect(bytes.includes(Buffer.from(text)), text).toBe(false);
    }

    const restored = join(dir, 'restored');
    expect(await crypt(['decrypt', encrypted, restored], key)).toMatchObject({ code: 0, stderr: '' });
    expect(await tree(restored)).toEqual(await tree(source));
    expect(await readFile(join(restored, 'contacts.csv'), 'utf8')).toBe(`${MARKER}\r\n`);
  });

  test('refuses a wrong key and a damaged file, and extracts nothing', async () => {
    const encrypted = join(dir, 'wrong-key/data.tar.gpg');
    expect((await crypt(['encrypt', source, encrypted], key)).code).toBe(0);

    const wrong = await crypt(['decrypt', encrypted, join(dir, 'wrong-key/out')], `${key}x`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('the key is not the one it was encrypted with');
    expect(existsSync(join(dir, 'wrong-key/out'))).toBe(false);

    const bytes = await readFile(encrypted);
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    const damagedFile = join(dir, 'wrong-key/damaged.tar.gpg');
    await writeFile(damagedFile, bytes);
    const damaged = await crypt(['decrypt', damagedFile, join(dir, 'wrong-key/damaged')], key);
    expect(damaged.code).toBe(1);
    expect(existsSync(join(dir, 'wrong-key/damaged'))).toBe(false);
  });

  test('never puts the key on a command line', async () => {
    // A gpg in front of the real one that records the arguments it was given.
    const bin = join(dir, 'bin');
    const log = join(dir, 'gpg-arguments.log');
    await mkdir(bin);
    await writeFile(join(bin, 'gpg'), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${log}"\nexec ${GPG} "$@"\n`);
    await chmod(join(bin, 'gpg'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const encrypted = join(dir, 'argv/data.tar.gpg');
    expect((await crypt(['encrypt', source, encrypted], key, env)).code).toBe(0);
    expect((await crypt(['decrypt', encrypted, join(dir, 'argv/out')], key, env)).code).toBe(0);
    const recorded = await readFile(log, 'utf8');
    expect(recorded).toContain('--passphrase-fd');
    expect(recorded).not.toContain(key);
  });

  test('stops with a usage error when the key is missing or empty, before writing anything', async () => {
    for (const missingKey of [undefined, '']) {
      const run = await crypt(['encrypt', source, join(dir, 'no-key/data.tar.gpg')], missingKey);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('QWOTY_CACHE_KEY is empty');
    }
    expect(existsSync(join(dir, 'no-key'))).toBe(false);
  });

  test('says which folder or file is missing', async () => {
    const noFolder = await crypt(['encrypt', join(dir, 'nowhere'), join(dir, 'x.tar.gpg')], key);
    expect(noFolder).toMatchObject({ code: 2 });
    expect(noFolder.stderr).toContain('there is no folder');
    const noFile = await crypt(['decrypt', join(dir, 'nothing.tar.gpg'), join(dir, 'x')], key);
    expect(noFile).toMatchObject({ code: 2 });
    expect(noFile.stderr).toContain('there is no file');
  });
});
