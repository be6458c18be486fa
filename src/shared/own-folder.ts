/**
 * Writing only where we made the folder. The data and site folders hold personal data and the links a web
 * server follows: another user who may write into them could plant a symlink where a file is about to be
 * written (and have us overwrite whatever it points to), or swap a version. So a folder we write into must be
 * ours and not writable by others, a file is never written through a symlink, and a temporary name is never
 * one another user could guess and take first (`mkdtemp`, or `O_EXCL` with a random name).
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { SnapshotIoError } from './errors.ts';

/**
 * Throws a `SnapshotIoError` that says what to do unless `dir` (followed when it is a link, as `data` may be)
 * belongs to the user running this and is not writable by every user. `what` names it in the message ("the
 * data folder"). A missing folder passes: the caller makes it, with the umask's owner-only bits. With
 * `owner: false`, only the second rule (for a folder that holds ours, such as the site link's).
 */
export async function checkOwnFolder(
  dir: string,
  what: string,
  options: { owner?: boolean } = {},
): Promise<void> {
  const info = await stat(dir).catch(() => null);
  // Missing, or not a folder: the caller's own mkdir or write fails with its own sentence.
  if (!info?.isDirectory()) return;
  const me = userInfo();
  if (options.owner !== false && info.uid !== me.uid) {
    throw new SnapshotIoError(
      `${what} ${dir} belongs to another user (uid ${info.uid}), not to ${me.username} running this; run as its owner, or give it to this user (\`chown -R ${me.username} ${dir}\`).`,
    );
  }
  if (info.mode & 0o002) {
    throw new SnapshotIoError(
      `${what} ${dir} is writable by every user (mode ${(info.mode & 0o7777).toString(8)}), so anyone could plant a file or a link in it; remove that (\`chmod o-w ${dir}\`).`,
    );
  }
}

/**
 * Writes `content` to `file` whole, and never through a symbolic link: a link found there is refused, the
 * file behind it untouched. The text goes into a new file under a random name made with `O_EXCL` (which never
 * follows a link), synced, then renamed over `file`; a link planted meanwhile is replaced, not followed.
 */
export async function writeFileNoFollow(file: string, content: string): Promise<void> {
  const found = await lstat(file).catch(() => null);
  if (found?.isSymbolicLink()) {
    throw new SnapshotIoError(
      `${file} is a symbolic link, and nothing is written through one (another user may have planted it); remove it (\`rm ${file}\`) and check who can write into ${path.dirname(file)}.`,
    );
  }
  if (found && !found.isFile()) {
    throw new SnapshotIoError(`${file} is not a file; move it away.`);
  }
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}
