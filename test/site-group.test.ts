/**
 * QWOTY_SITE_GROUP with real users and groups: the build runs as a user of its own (umask 077), the web server
 * as another user in the site's group. Needs root to make them (`groupadd`, `useradd`); CI runs as root.
 */
import { spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { siteFolder } from '../src/site/build/site-folder.ts';
import { listModes, notOwnerOnly } from '../src/testing/file-modes.ts';

const SWAP_CHILD = path.join(import.meta.dirname, 'helpers', 'swap-child.ts');
const PUBLISH_CHILD = path.join(import.meta.dirname, 'helpers', 'publish-child.ts');
const BUILD = path.join(import.meta.dirname, '..', 'scripts', 'build-site.ts');
const isRoot = process.getuid?.() === 0;
const tag = Math.random().toString(36).slice(2, 8);
const GROUP = `qwotyweb${tag}`;
/** The service user, a member of GROUP; the web server, a member too; an outsider, a member of nothing. */
const BUILDER = `qwotybuild${tag}`;
const WEB = `qwotywww${tag}`;
const OUTSIDER = `qwotyout${tag}`;
let gid: number;
let root: string;

function run(command: string, args: readonly string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Runs `node <args>` as `user`, with its own groups and the entry points' umask. */
function asUser(user: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(
    'setpriv',
    [
      `--reuid=${user}`,
      `--regid=${run('id', ['-g', user])}`,
      '--init-groups',
      'sh',
      '-c',
      'umask 077 && exec "$0" "$@"',
      process.execPath,
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, CI: '', ...env }, cwd: '/' },
  );
}

// Outside CI, a machine where this is not root skips it; in CI it must run.
describe.skipIf(!isRoot && !process.env.CI)(
  'QWOTY_SITE_GROUP (real users and groups)',
  { timeout: 120_000 },
  () => {
    beforeAll(async () => {
      run('groupadd', [GROUP]);
      gid = Number(run('getent', ['group', GROUP]).split(':')[2]);
      run('useradd', ['--system', '--no-create-home', '--groups', GROUP, BUILDER]);
      run('useradd', ['--system', '--no-create-home', '--groups', GROUP, WEB]);
      run('useradd', ['--system', '--no-create-home', OUTSIDER]);
      root = await mkdtemp(path.join(tmpdir(), 'qwoty-group-'));
      // Passed through by the users below, each into a folder of its own.
      await chmod(root, 0o711);
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
      for (const user of [BUILDER, WEB, OUTSIDER]) spawnSync('userdel', [user]);
      spawnSync('groupdel', [GROUP]);
    });

    /**
     * A folder of its own under `root` for `user`, as an administrator makes it: for a site, the web server's
     * group may pass through it to the site link (`install -d -o <user> -g www-data -m 0750 /var/www/qwoty`).
     */
    async function folderOf(user: string, name: string): Promise<string> {
      const dir = await mkdtemp(path.join(root, `${name}-`));
      const uid = Number(run('id', ['-u', user]));
      await chown(dir, uid, name === 'site' ? gid : Number(run('id', ['-g', user])));
      if (name === 'site') await chmod(dir, 0o750);
      return dir;
    }

    /** Every entry under `dir` with its group and bits, as `path gid mode`. */
    async function groupAndModes(dir: string): Promise<string[]> {
      const modes = await listModes(dir);
      return Promise.all(
        modes.map(
          async (entry) =>
            `${entry.path} ${(await lstat(path.join(dir, entry.path))).gid} ${entry.mode.toString(8)}`,
        ),
      );
    }

    test('every file of a new version has the group, folders g+rx and files g+r, before the switch', async () => {
      const home = await folderOf(BUILDER, 'site');
      const siteDir = path.join(home, 'dist');
      const env = { QWOTY_SITE_GROUP: GROUP };
      expect(asUser(BUILDER, [SWAP_CHILD, siteDir, 'first'], env).status).toBe(0);
      // Killed once the version is complete and before the switch: what the web server would meet next.
      expect(asUser(BUILDER, [SWAP_CHILD, siteDir, 'second', 'staged'], env).signal).toBe('SIGKILL');

      const { versionsDir } = siteFolder(siteDir);
      const staging = (await readdir(versionsDir)).filter((name) => name.startsWith('.staging-'));
      expect(staging).toHaveLength(1);
      const staged = path.join(versionsDir, staging[0] ?? '');
      expect((await groupAndModes(staged)).sort()).toEqual(
        [
          `. ${gid} 750`,
          `_astro ${gid} 750`,
          `_astro/page.css ${gid} 640`,
          `a.html ${gid} 640`,
          `b.html ${gid} 640`,
          `index.html ${gid} 640`,
          `label.txt ${gid} 640`,
        ].sort(),
      );
      expect((await groupAndModes(staged)).sort()).toEqual(
        (
          await groupAndModes(path.join(versionsDir, await readlink(siteDir).then((t) => path.basename(t))))
        ).sort(),
      );
      // The versions folder is passed through (g+x), not listed; its lock stays the builder's own.
      const versions = await lstat(versionsDir);
      expect([versions.gid, (versions.mode & 0o777).toString(8)]).toEqual([gid, '710']);
      const lock = await lstat(path.join(versionsDir, '.lock')).catch(() => null);
      expect((lock?.mode ?? 0) & 0o077).toBe(0);
    });

    test('the web server, another user in the group, reads every page of the live site', async () => {
      const home = await folderOf(BUILDER, 'site');
      const siteDir = path.join(home, 'dist');
      for (const label of ['a', 'b']) {
        expect(asUser(BUILDER, [SWAP_CHILD, siteDir, label], { QWOTY_SITE_GROUP: GROUP }).status).toBe(0);
      }
      const read = asUser(WEB, ['-e', READ_ALL, siteDir]);
      expect(read.stderr).toBe('');
      expect(read.stdout).toBe('b b b b b\n');
      // The outsider, in no group of the site, reads nothing: the group is what opens it, not the world.
      expect(asUser(OUTSIDER, ['-e', READ_ALL, siteDir]).status).not.toBe(0);
    });

    test('a real build gives the whole site to the group, and leaves the snapshot and the cache owner-only', async () => {
      // As root, which may give files to any group: the build itself, pages, downloads and all.
      const home = await mkdtemp(path.join(root, 'build-'));
      await chmod(home, 0o755);
      const dataDir = path.join(home, 'data');
      const withUmask = ['-c', 'umask 077 && exec "$0" "$@"', process.execPath];
      expect(spawnSync('sh', [...withUmask, PUBLISH_CHILD, dataDir, 'x', '12']).status).toBe(0);
      const built = spawnSync('sh', [...withUmask, BUILD], {
        encoding: 'utf8',
        cwd: '/',
        env: {
          ...process.env,
          QWOTY_DATA_DIR: dataDir,
          QWOTY_SITE_DIR: path.join(home, 'dist'),
          QWOTY_SITE_CACHE_DIR: path.join(home, 'cache'),
          QWOTY_SITE_GROUP: GROUP,
          ASTRO_TELEMETRY_DISABLED: '1',
        },
      });
      expect(built.status, built.stderr).toBe(0);
      const site = await listModes(await realpath(path.join(home, 'dist')));
      expect(site.length).toBeGreaterThan(20);
      const live = await realpath(path.join(home, 'dist'));
      const wrong = [];
      for (const entry of site) {
        const info = await lstat(path.join(live, entry.path));
        // Readable (and passable) by the group, writable by no one else. Astro copies public/ files (favicon,
        // robots.txt) with their checkout modes, 0644: no personal data in them.
        const read = entry.type === 'folder' ? 0o050 : 0o040;
        if (info.gid !== gid || (entry.mode & read) !== read || entry.mode & 0o022)
          wrong.push(`${entry.path} ${info.gid} ${entry.mode.toString(8)}`);
      }
      expect(wrong).toEqual([]);
      expect(notOwnerOnly(await listModes(dataDir))).toEqual([]);
      // The cache's folders are owner-only. Its customer files are hard links to the site's own files, so
      // they carry the site's group and g+r; nobody else can reach them through the cache's 0700 folders,
      // and the web server already reads those bytes in the site. Any other file in the cache is owner-only.
      const cacheDir = path.join(home, 'cache');
      const cache = await listModes(cacheDir);
      expect(notOwnerOnly(cache.filter((entry) => entry.type === 'folder'))).toEqual([]);
      const siteFiles = new Set<number>();
      for (const entry of site) {
        if (entry.type === 'file') siteFiles.add((await lstat(path.join(live, entry.path))).ino);
      }
      const privateFiles = [];
      for (const entry of cache) {
        if (entry.type !== 'file') continue;
        if (siteFiles.has((await lstat(path.join(cacheDir, entry.path))).ino)) continue;
        privateFiles.push(entry);
      }
      expect(notOwnerOnly(privateFiles)).toEqual([]);
      // The web server's user reads the home page through the link.
      const read = asUser(WEB, [
        '-e',
        'process.stdout.write(require("node:fs").readFileSync(process.argv[1], "utf8").slice(0, 15))',
        path.join(home, 'dist', 'index.html'),
      ]);
      expect(read.stdout).toBe('<!DOCTYPE html>');
    });

    test('a group that does not exist stops the build with exit 2 before anything is built', async () => {
      const home = await folderOf(BUILDER, 'work');
      expect(asUser(BUILDER, [PUBLISH_CHILD, path.join(home, 'data'), 'x']).status).toBe(0);
      const result = asUser(BUILDER, [BUILD], {
        QWOTY_DATA_DIR: path.join(home, 'data'),
        QWOTY_SITE_DIR: path.join(home, 'dist'),
        QWOTY_SITE_CACHE_DIR: path.join(home, 'cache'),
        QWOTY_SITE_GROUP: `nosuch${tag}`,
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(
        `QWOTY_SITE_GROUP names the group "nosuch${tag}", which does not exist`,
      );
      expect(await readdir(home)).toEqual(['data']);
    });

    test('a user outside the group stops with exit 6 and the usermod line to run', async () => {
      const home = await folderOf(OUTSIDER, 'work');
      expect(asUser(OUTSIDER, [PUBLISH_CHILD, path.join(home, 'data'), 'x']).status).toBe(0);
      const result = asUser(OUTSIDER, [BUILD], {
        QWOTY_DATA_DIR: path.join(home, 'data'),
        QWOTY_SITE_DIR: path.join(home, 'dist'),
        QWOTY_SITE_CACHE_DIR: path.join(home, 'cache'),
        QWOTY_SITE_GROUP: GROUP,
      });
      expect(result.status).toBe(6);
      expect(result.stderr).toContain(`sudo usermod -aG ${GROUP} ${OUTSIDER}`);
      expect(await lstat(path.join(home, 'dist')).catch(() => null)).toBeNull();
    });
  },
);

/** Reads every file of the site at argv[1] and prints each `label.txt`-like content, one per file. */
const READ_ALL = `
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const dir = process.argv[1];
const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
console.log(files.map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8')).join(' '));
`;
