/**
 * Several symlinks switched as one: the data folder's `current` and the site, which must always come from the
 * same night. Two renames cannot be one atomic step, so a journal comes first: it lists every link and its new
 * target, then each link is switched (`replaceSymlink`), then the journal is removed. A process killed between
 * the renames leaves the journal, and `completeLinkSwitch` (called under the folders' locks by the next
 * roll-back, fetch or nightly) finishes the switch: both or neither, from the next run on.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SnapshotIoError } from './errors.ts';
import { writeFileNoFollow } from './own-folder.ts';
import { replaceSymlink, syncDir } from './swap-dir.ts';

const JournalSchema = z.object({
  switches: z.array(
    z.object({
      /** The link's absolute path. */
      link: z.string().min(1),
      /** What it will point at, as written in the link (relative to its folder). */
      target: z.string().min(1),
    }),
  ),
});
export type LinkSwitch = z.output<typeof JournalSchema>['switches'][number];

/** The moments of a switch: the journal written, then each link (by index), then the journal removed. */
export type LinkSwitchStep = 'journaled' | `switched-${number}` | 'done';

/** Switches every link of `switches`, recording them in `journal` first; see the module's comment. */
export async function switchLinks(
  journal: string,
  switches: readonly LinkSwitch[],
  onStep?: (step: LinkSwitchStep) => void | Promise<void>,
): Promise<void> {
  for (const { link, target } of switches) {
    if (!(await stat(path.resolve(path.dirname(link), target)).catch(() => null))) {
      throw new SnapshotIoError(`Cannot point ${link} at ${target}: it does not exist.`);
    }
  }
  await writeFileNoFollow(journal, `${JSON.stringify({ switches }, null, 2)}\n`);
  await syncDir(path.dirname(journal));
  await onStep?.('journaled');
  for (const [index, { link, target }] of switches.entries()) {
    await replaceSymlink(target, link);
    await syncDir(path.dirname(link));
    await onStep?.(`switched-${index}`);
  }
  await rm(journal, { force: true });
  await syncDir(path.dirname(journal));
  await onStep?.('done');
}

/**
 * Finishes a switch a killed process left in `journal`, if any; true when there was one. A journal whose
 * targets are gone cannot be finished: that is an error saying which.
 */
export async function completeLinkSwitch(journal: string): Promise<boolean> {
  const text = await readFile(journal, 'utf8').catch(() => null);
  if (text === null) return false;
  let switches: LinkSwitch[];
  try {
    switches = JournalSchema.parse(JSON.parse(text)).switches;
  } catch (error) {
    throw new SnapshotIoError(
      `${journal}, left by a roll-back that did not finish, is unreadable (${(error as Error).message}); check where the data's current link and the site point, then delete it.`,
      { cause: error },
    );
  }
  await switchLinks(journal, switches);
  return true;
}
