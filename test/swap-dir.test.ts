import { spawn, spawnSync } from 'node:child_process';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SnapshotIoError } from '../src/shared/errors.ts';
import { acquirePidLock } from '../src/shared/pid-lock.ts';
import { listVersions } from '../src/shared/swap-dir.ts';
import { replaceSite, siteFolder } from '../src/site/build/site-folder.ts';

const CHILD = path.join(import.meta.dirname, 'helpers', 'swap-child.ts');
/** The files swap-child.ts writes, each holding its label. */
const FILES = ['index.html', 'a.html', 'b.html', 'label.txt'];
let root: string;
let siteDir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-swap-'));
  siteDir = path.join(root, 'dist');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function replaceInChild(label: string, dieAfter = 'none') {
  return spawnSync(process.execPath, [CHILD, siteDir, label, dieAfter], { encoding: 'utf8' });
}

/** The label of the live site; throws unless every file of it has the same one. */
async function liveLabel(): Promise<string> {
  const labels = await Promise.all(FILES.map((name) => readFile(path.join(siteDir, name), 'utf8')));
  expect(new Set(labels).size, `one site, not a mix: ${labels.join(', ')}`).toBe(1);
  return labels[0] ?? '';
}

/** The labels of the site versions kept, oldest first. */
async function keptLabels(): Promise<string[]> {
  const folder = siteFolder(siteDir);
  const names = await listVersions(folder);
  return Promise.all(names.map((name) => readFile(path.join(folder.versionsDir, name, 'label.txt'), 'utf8')));
}

/** What a killed run may leave: staging folders in the versions folder, half-made links next to the site. */
async function leftovers(): Promise<string[]> {
  const { versionsDir } = siteFolder(siteDir);
  const staging = (await readdir(versionsDir)).filter((name) => name.startsWith('.staging-'));
  const links = (await readdir(root)).filter((name) => name.includes('.tmp-'));
  return [...staging, ...links];
}

describe('replaceSite (a folder swapped whole, src/shared/swap-dir.ts)', () => {
  test('switches a relative link to each new version, keeping the previous one only', async () => {
    for (const label of ['a', 'b', 'c']) expect(replaceInChild(label).status).toBe(0);
    expect(await liveLabel()).toBe('c');
    expect(await keptLabels()).toEqual(['b', 'c']);
    expect((await lstat(siteDir)).isSymbolicLink()).toBe(true);
    expect(await readlink(siteDir)).toMatch(/^\.dist\.versions\/\d{8}T\d{9}Z-[0-9a-f]{6}$/);
  });

  test.each(['staged', 'renamed'])(
    'leaves the previous site whole and live when killed after the %s step, and the next run cleans up',
    async (step) => {
      expect(replaceInChild('old').status).toBe(0);
      expect(replaceInChild('new', step).signal).toBe('SIGKILL');
      expect(await liveLabel()).toBe('old');

      expect(replaceInChild('newer').status).toBe(0);
      expect(await liveLabel()).toBe('newer');
      expect(await leftovers()).toEqual([]);
      // The site `newer` replaced (old) is always kept; after the renamed step, the killed run's complete but
      // never live site is one of the two newest, and ages out like any night.
      expect(await keptLabels()).toEqual(step === 'renamed' ? ['old', 'new', 'newer'] : ['old', 'newer']);
    },
  );

  test.each(['switched', 'pruned'])(
    'has the new site whole and live when killed after the %s step',
    async (step) => {
      expect(replaceInChild('old').status).toBe(0);
      expect(replaceInChild('new', step).signal).toBe('SIGKILL');
      expect(await liveLabel()).toBe('new');
      expect(replaceInChild('newer').status).toBe(0);
      expect(await keptLabels()).toEqual(['new', 'newer']);
    },
  );

  /** A site as earlier versions built it: a plain folder. */
  async function writePlainSite() {
    await mkdir(path.join(siteDir, '_astro'), { recursive: true });
    for (const name of FILES) await writeFile(path.join(siteDir, name), 'plain');
  }

  test('keeps a plain folder found at its place (a site built before versions) as the previous version', async () => {
    await writePlainSite();
    expect(replaceInChild('first').status).toBe(0);
    expect(await liveLabel()).toBe('first');
    expect(await keptLabels()).toEqual(['plain', 'first']);
  });

  test('completes on the next run a switch from a plain folder killed between its two renames', async () => {
    await writePlainSite();
    expect(replaceInChild('first', 'moved').signal).toBe('SIGKILL');
    // The one moment without a site: the plain folder moved away, the link not yet in its place.
    await expect(lstat(siteDir)).rejects.toThrow(/ENOENT/);

    expect(replaceInChild('second').status).toBe(0);
    expect(await liveLabel()).toBe('second');
    expect(await keptLabels()).toEqual(['first', 'second']);
    expect(await leftovers()).toEqual([]);
  });

  test.each([
    ['a folder that is not a site', async () => mkdir(path.join(siteDir, 'src'), { recursive: true })],
    [
      'a project folder',
      async () => writePlainSite().then(() => writeFile(path.join(siteDir, 'package.json'), '{}')),
    ],
    ['a file', async () => writeFile(siteDir, 'notes')],
  ])('refuses to replace %s at its place, and leaves it untouched', async (_name, make) => {
    await make();
    const before = await lstat(siteDir);
    const replacing = replaceSite(siteDir, async () => 'built', { cwd: process.cwd() });
    await expect(replacing).rejects.toThrow(SnapshotIoError);
    await expect(replacing).rejects.toThrow(/that the site build did not make .*move it away/);
    expect((await lstat(siteDir)).ino).toBe(before.ino);
    expect(await readdir(root)).toEqual(['dist']);
  });

  test('refuses a site folder that holds the working folder', async () => {
    await expect(replaceSite(process.cwd(), async () => 'built', { cwd: process.cwd() })).rejects.toThrow(
      /holds the working folder/,
    );
    await expect(
      replaceSite(path.dirname(process.cwd()), async () => 'built', { cwd: process.cwd() }),
    ).rejects.toThrow(/holds the working folder/);
    // The working folder is the one the entry point names, not this process's.
    await expect(
      replaceSite(siteDir, async () => 'built', { cwd: path.join(siteDir, 'inside') }),
    ).rejects.toThrow(/holds the working folder/);
  });

  test('never leaves a moment without a site for a reader, while versions are switched', async () => {
    expect(replaceInChild('start').status).toBe(0);
    const child = spawn(process.execPath, [CHILD, siteDir, 'run', 'none', '15'], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let running = true;
    void exited.then(() => {
      running = false;
    });
    const seen = new Set<string>();
    let reads = 0;
    while (running) {
      // A web server resolves the path anew for every request, as this does.
      seen.add(await readFile(path.join(siteDir, 'label.txt'), 'utf8'));
      reads += 1;
    }
    expect(await exited).toBe(0);
    expect(reads).toBeGreaterThan(15);
    expect(seen.size).toBeGreaterThan(2);
    expect(await liveLabel()).toBe('run-14');
  });

  test('refuses a second build into the same site while one holds it', async () => {
    const { versionsDir } = siteFolder(siteDir);
    await mkdir(versionsDir, { recursive: true });
    const held = await acquirePidLock(path.join(versionsDir, '.lock'));
    if (!held.acquired) throw new Error('expected the lock');
    const second = replaceSite(siteDir, async () => 'built', { cwd: process.cwd() });
    await expect(second).rejects.toThrow(SnapshotIoError);
    await expect(second).rejects.toThrow(
      new RegExp(`Another build \\(process ${process.pid}\\) is putting a site into ${siteDir}`),
    );
    await held.lock.release();
    expect(await replaceSite(siteDir, async () => 'built', { cwd: process.cwd() })).toBe('built');
    expect(await realpath(siteDir)).toMatch(/\.dist\.versions/);
  });

  test('keeps the site as it was when the build fails, and leaves no staging folder', async () => {
    expect(replaceInChild('good').status).toBe(0);
    await expect(
      replaceSite(
        siteDir,
        async (dir) => {
          await writeFile(path.join(dir, 'index.html'), 'half');
          throw new Error('the build failed');
        },
        { cwd: process.cwd() },
      ),
    ).rejects.toThrow('the build failed');
    expect(await liveLabel()).toBe('good');
    expect(await leftovers()).toEqual([]);
  });
});
