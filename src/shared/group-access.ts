/**
 * Read access for one group (the web server's, such as `www-data`) to a folder the entry points made owner-only
 * (umask 077, src/cli/run-main.ts): the site versions, never the snapshot, the cache or `.env`. The group is
 * given to a new site version before it is switched in, so there is no moment in which the web server meets a
 * page it cannot read (a `chgrp -R` after the switch left one, and 403s with it).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lchown, lstat, readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, SnapshotIoError } from './errors.ts';

/** A group resolved once: its name for messages, its id for `chown`. */
export interface Group {
  name: string;
  gid: number;
}

/**
 * The group called `name` (or numbered, `33`), looked up through the system's name service (`getent`, which
 * sees LDAP and the like) and `/etc/group` when there is no `getent`. A group that does not exist is a
 * configuration error (exit 2).
 */
export async function resolveGroup(name: string, setting = 'QWOTY_SITE_GROUP'): Promise<Group> {
  const entry = (await getent(name)) ?? (await fromEtcGroup(name));
  if (!entry) {
    throw new ConfigError(
      `${setting} names the group "${name}", which does not exist on this machine; create it (\`groupadd ${name}\`) or name the web server's group (often www-data).`,
    );
  }
  return entry;
}

async function getent(name: string): Promise<Group | null | undefined> {
  try {
    const { stdout } = await promisify(execFile)('getent', ['group', name], { encoding: 'utf8' });
    return parseGroupLine(stdout.split('\n')[0] ?? '');
  } catch (error) {
    // Exit 2 is getent's "no such key"; a missing getent falls back to /etc/group.
    return (error as { code?: unknown }).code === 2 ? null : undefined;
  }
}

async function fromEtcGroup(name: string): Promise<Group | null> {
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const group = parseGroupLine(line);
    if (group && (group.name === name || String(group.gid) === name)) return group;
  }
  return null;
}

function parseGroupLine(line: string): Group | null {
  const [name, , gid] = line.split(':');
  return name && gid && /^\d+$/.test(gid) ? { name, gid: Number(gid) } : null;
}

/**
 * Gives `dir` to `group` with `extra` permission bits (`0o010` lets the group pass through a folder without
 * listing it). The first `chown` of a run: it fails when this user may not give files to that group (it is not
 * a member), and says what to do, before anything is built.
 */
export async function giveFolderToGroup(dir: string, group: Group, extra: number): Promise<void> {
  try {
    await chown(dir, -1, group.gid);
    await chmod(dir, ((await lstat(dir)).mode & 0o7777) | extra);
  } catch (error) {
    throw groupError(dir, group, error);
  }
}

/**
 * Gives everything under `dir` (itself included) to `group`: folders `g+rx`, files `g+r`, and nothing more
 * (no write, nothing for others). Symbolic links get the group, their own bits mean nothing.
 */
export async function shareTreeWithGroup(dir: string, group: Group): Promise<void> {
  try {
    await shareEntry(dir, group);
  } catch (error) {
    throw groupError(dir, group, error);
  }
}

async function shareEntry(file: string, group: Group): Promise<void> {
  const info = await lstat(file);
  if (info.isSymbolicLink()) {
    if (info.gid !== group.gid) await lchown(file, -1, group.gid);
    return;
  }
  if (info.gid !== group.gid) await chown(file, -1, group.gid);
  const wanted = (info.mode & 0o7777) | (info.isDirectory() ? 0o050 : 0o040);
  if (wanted !== (info.mode & 0o7777)) await chmod(file, wanted);
  if (!info.isDirectory()) return;
  const names = await readdir(file);
  // A few at a time: a 100,000-contact site has tens of thousands of pages.
  for (let start = 0; start < names.length; start += 64) {
    await Promise.all(names.slice(start, start + 64).map((name) => shareEntry(path.join(file, name), group)));
  }
}

function groupError(dir: string, group: Group, error: unknown): SnapshotIoError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EPERM') {
    const user = userInfo().username;
    return new SnapshotIoError(
      `The user ${user} may not give ${dir} to the group ${group.name} (QWOTY_SITE_GROUP): it is not a member of it. Add it (\`sudo usermod -aG ${group.name} ${user}\`), then start a new login session or restart the service, and run again.`,
      { cause: error },
    );
  }
  return new SnapshotIoError(
    `Could not give ${dir} to the group ${group.name} (${(error as Error).message}).`,
    { cause: error },
  );
}
