import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { lockDataDir } from '../src/pipeline/publish.ts';
import { FAILED_REJECTS_FILE } from '../src/pipeline/run-fetch.ts';
import { SnapshotIoError } from '../src/shared/errors.ts';
import { writeFileNoFollow } from '../src/shared/own-folder.ts';
import { stageVersion } from '../src/shared/swap-dir.ts';
import { replaceSite, siteFolder } from '../src/site/build/site-folder.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';

const isRoot = process.getuid?.() === 0;
let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-own-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeFileNoFollow', () => {
  test('refuses a planted symlink with a clear error and leaves the file behind it untouched', async () => {
    const victim = path.join(root, 'victim.txt');
    await writeFile(victim, 'precious');
    const file = path.join(root, 'report.json');
    await symlink(victim, file);
    const writing = writeFileNoFollow(file, 'overwritten');
    await expect(writing).rejects.toThrow(SnapshotIoError);
    await expect(writing).rejects.toThrow(`${file} is a symbolic link, and nothing is written through one`);
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  test('replaces a file whole, leaving no temporary file behind', async () => {
    const file = path.join(root, 'report.json');
    await writeFile(file, 'old');
    await writeFileNoFollow(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await import('node:fs/promises').then((fs) => fs.readdir(root))).toEqual(['report.json']);
  });
});

describe('a fetch that refuses to publish', () => {
  const api = useEmbeddedApi('qwt_own_folder_token_1234', 'own');

  test('does not write its rejects through a symlink planted in the data folder', async () => {
    const victim = path.join(root, 'victim.txt');
    await writeFile(victim, 'precious');
    await symlink(victim, path.join(api.dir(), FAILED_REJECTS_FILE));
    const server = await api.serve({ workspace: generateWorkspace({ contacts: 50, seed: 1, invalid: 1 }) });
    await expect(api.fetch(server, {}, ['--strict'])).rejects.toThrow(
      /rejects-of-failed-run\.json is a symbolic link, and nothing is written through one/,
    );
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });
});

describe('folders written into', () => {
  test('a data folder writable by every user is refused before anything is written', async () => {
    const dataDir = path.join(root, 'data');
    await mkdir(dataDir);
    await chmod(dataDir, 0o777);
    await expect(lockDataDir(dataDir, process.pid)).rejects.toThrow(
      `The data folder ${dataDir} is writable by every user (mode 777)`,
    );
  });

  test.skipIf(!isRoot)('a data folder that belongs to another user is refused', async () => {
    const dataDir = path.join(root, 'data');
    await mkdir(dataDir);
    await chown(dataDir, 65534, 65534);
    await expect(lockDataDir(dataDir, process.pid)).rejects.toThrow(
      `The data folder ${dataDir} belongs to another user (uid 65534)`,
    );
  });

  test.skipIf(!isRoot)('a site versions folder that belongs to another user is refused', async () => {
    const siteDir = path.join(root, 'dist');
    const { versionsDir } = siteFolder(siteDir);
    await mkdir(versionsDir);
    await chown(versionsDir, 65534, 65534);
    await expect(replaceSite(siteDir, async () => 'built', { cwd: process.cwd() })).rejects.toThrow(
      `The site's versions folder ${versionsDir} belongs to another user`,
    );
  });

  test('a site inside a folder every user may write into (such as /tmp itself) is refused', async () => {
    const shared = path.join(root, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await expect(
      replaceSite(path.join(shared, 'dist'), async () => 'built', { cwd: process.cwd() }),
    ).rejects.toThrow(`The folder holding the site ${shared} is writable by every user (mode 1777)`);
  });

  test('staging folders get names no one could take first, and are the owner’s only', async () => {
    const swap = { link: path.join(root, 'current'), versionsDir: path.join(root, 'versions') };
    const date = new Date('2026-12-07T02:00:00Z');
    const [a, b] = [await stageVersion(swap, date), await stageVersion(swap, date)];
    expect(a.dir).not.toBe(b.dir);
    expect(path.basename(a.dir)).toMatch(/^\.staging-20261207T020000000Z-[0-9a-f]{6}-\w{6}$/);
  });
});
