/**
 * `npm run rollback`: the data (`data/current`) and the site switched back to an earlier night together, both
 * or neither. A night is a snapshot in `data/.snapshots/` and the site built from it, which names it in its
 * `qwoty-site.json` (src/site/build/site-manifest.ts); `QWOTY_KEEP_NIGHTS` of them are kept. The two links
 * are switched through a journal (src/shared/switch-links.ts), holding the data folder's and the site's locks,
 * so a roll-back killed half-way is finished by the next roll-back, fetch or nightly; the next nightly then
 * keeps the night rolled back to and compares against it in its change report.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { FETCH_SETTINGS } from '../pipeline/config.ts';
import {
  listSnapshots,
  lockDataDir,
  readManifest,
  SNAPSHOTS_DIR,
  SWITCH_JOURNAL,
  snapshotsOf,
} from '../pipeline/publish.ts';
import {
  defineCommand,
  formatUsage,
  type Settings,
  switchSchema,
  textSchema,
  type Values,
} from '../shared/command.ts';
import { ConfigError, SnapshotIoError } from '../shared/errors.ts';
import type { SnapshotCounts } from '../shared/schema/published.ts';
import { listVersions, liveVersionName } from '../shared/swap-dir.ts';
import { type LinkSwitchStep, switchLinks } from '../shared/switch-links.ts';
import { lockSiteFolder, siteFolder } from '../site/build/site-folder.ts';
import { readSiteManifest } from '../site/build/site-manifest.ts';
import { SITE_SETTINGS } from '../site/build/site-settings.ts';

export const ROLLBACK_SETTINGS = {
  dataDir: FETCH_SETTINGS.dataDir,
  siteDir: SITE_SETTINGS.siteDir,
  list: {
    flag: 'list',
    type: 'boolean',
    defaultLabel: 'off',
    help: 'list the nights kept (id, date, counts, whether its site is kept, which is live) and change nothing',
    schema: switchSchema,
  },
  to: {
    flag: 'to',
    type: 'string',
    placeholder: '<id>',
    defaultLabel: 'the night before the live one',
    help: 'the night to switch to, an id from `--list` (an earlier or a later one)',
    schema: textSchema.optional().transform((id) => id ?? null),
  },
} as const satisfies Settings;

export type RollbackSettings = Values<typeof ROLLBACK_SETTINGS>;

export const ROLLBACK_COMMAND = defineCommand({
  name: 'npm run rollback',
  summary: `Switches the data (QWOTY_DATA_DIR/current) and the site (QWOTY_SITE_DIR) back to the previous night
kept, or to the night --to names, together: both or neither. --list shows the nights kept.`,
  settings: ROLLBACK_SETTINGS,
  exitCodes: {
    ok: 'switched (or listed)',
    config: 'bad option or no such night',
    io: 'no earlier night kept, a folder locked by a run, or unreadable',
  },
});

export const ROLLBACK_USAGE = formatUsage(ROLLBACK_COMMAND);

/** One night kept: a snapshot, and the site built from it when that is kept too. */
export interface Night {
  /** The snapshot's folder name in `data/.snapshots/`: its run id. */
  id: string;
  /** When its data was fetched. */
  generatedAt: string;
  counts: SnapshotCounts;
  /** The site version built from it (a folder name in the site's versions folder), or null. */
  site: string | null;
  /** Whether `data/current` is this snapshot, and whether the live site was built from it. */
  liveData: boolean;
  liveSite: boolean;
}

export interface NightsFolders {
  dataDir: string;
  siteDir: string;
}

/** The nights kept, oldest first. */
export async function listNights({ dataDir, siteDir }: NightsFolders): Promise<Night[]> {
  const folder = siteFolder(siteDir);
  const siteOf = new Map<string, string>();
  for (const version of await listVersions(folder)) {
    const manifest = await readSiteManifest(path.join(folder.versionsDir, version));
    if (manifest) siteOf.set(manifest.snapshot, version); // the newest of several builds of one snapshot
  }
  const liveData = await liveVersionName(snapshotsOf(dataDir));
  const liveSite = await liveSiteSnapshot(siteDir);
  const nights: Night[] = [];
  for (const id of await listSnapshots(dataDir)) {
    const manifest = await readManifest(path.join(dataDir, SNAPSHOTS_DIR, id)).catch(() => null);
    if (!manifest) continue; // a damaged snapshot is no night to go back to
    nights.push({
      id,
      generatedAt: manifest.generated_at,
      counts: manifest.counts,
      site: siteOf.get(id) ?? null,
      liveData: id === liveData,
      liveSite: id === liveSite,
    });
  }
  return nights;
}

/**
 * Finishes a roll-back that a killed process left half-done (its journal), when the folders are free; a run
 * holding them finishes it itself when it takes the data folder's lock. Returns whether the folders were free.
 */
export async function finishPendingRollback(options: NightsFolders & { pid: number }): Promise<boolean> {
  let unlockData: () => Promise<void>;
  try {
    unlockData = await lockDataDir(options.dataDir, options.pid);
  } catch (error) {
    if (error instanceof SnapshotIoError && /^Another run/.test(error.message)) return false;
    throw error;
  }
  await unlockData();
  return true;
}

/** The snapshot the live site names in its `qwoty-site.json`, or null. */
export async function liveSiteSnapshot(siteDir: string): Promise<string | null> {
  const live = await realpath(siteDir).catch(() => null);
  return live ? ((await readSiteManifest(live))?.snapshot ?? null) : null;
}

/** The moments of a roll-back, for tests that kill it at each: those of the pair's switch. */
export type RollbackStep = LinkSwitchStep;

export interface RollbackOptions extends NightsFolders {
  /** The night to switch to; the one before the live one when null. */
  to: string | null;
  /** This process's id, for the data folder's lock. */
  pid: number;
  onStep?: (step: RollbackStep) => void | Promise<void>;
}

/** Switches the data and the site to one night, together; returns it, and the night that was live. */
export async function rollback(options: RollbackOptions): Promise<{ from: Night | null; to: Night }> {
  const { dataDir, siteDir } = options;
  // The data folder first, as a nightly takes them: its lock also finishes a roll-back killed half-way.
  const unlockData = await lockDataDir(dataDir, options.pid);
  try {
    const unlockSite = await lockSiteFolder(siteDir);
    try {
      const nights = await listNights({ dataDir, siteDir });
      const from = nights.find((night) => night.liveData) ?? null;
      const to = pickNight(nights, from, options.to);
      const folder = siteFolder(siteDir);
      await switchLinks(
        path.join(dataDir, SWITCH_JOURNAL),
        [
          { link: path.join(dataDir, 'current'), target: path.join(SNAPSHOTS_DIR, to.id) },
          {
            link: folder.link,
            target: path.relative(path.dirname(folder.link), path.join(folder.versionsDir, to.site ?? '')),
          },
        ],
        options.onStep,
      );
      const siteNames = await liveSiteSnapshot(siteDir);
      const dataIs = await liveVersionName(snapshotsOf(dataDir));
      if (siteNames !== to.id || dataIs !== to.id) {
        throw new SnapshotIoError(
          `After the switch, the data is the night ${dataIs} and the site names ${siteNames}, not ${to.id}; run \`npm run rollback -- --to ${to.id}\` again.`,
        );
      }
      return { from, to: { ...to, liveData: true, liveSite: true } };
    } finally {
      await unlockSite();
    }
  } finally {
    await unlockData();
  }
}

function pickNight(nights: readonly Night[], from: Night | null, id: string | null): Night {
  const seeList = 'see `npm run rollback -- --list`';
  if (id !== null) {
    const night = nights.find((candidate) => candidate.id === id);
    if (!night) throw new ConfigError(`No night ${id} is kept; ${seeList}.`);
    if (!night.site) {
      throw new ConfigError(
        `The night ${id} has no site kept (its build failed, or it was pruned), so the pair cannot be switched; ${seeList}.`,
      );
    }
    return night;
  }
  const earlier = nights.filter((night) => night.site && (!from || night.id < from.id));
  const night = earlier.at(-1);
  if (!night) {
    throw new SnapshotIoError(
      `No night before the live one ${from?.id ?? '(none)'} is kept with its site; ${seeList}.`,
    );
  }
  return night;
}

/** `--list`'s lines: one per night, newest first. */
export function formatNights(nights: readonly Night[]): string {
  if (nights.length === 0) return 'No nights kept yet: run `npm run nightly` first.';
  const lines = [...nights].reverse().map((night) => {
    const date = night.generatedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
    const counts = `${night.counts.contacts.toLocaleString('en')} contacts, ${night.counts.customers.toLocaleString('en')} customers`;
    const live =
      night.liveData && night.liveSite
        ? '  <- live'
        : night.liveData
          ? '  <- live data (the live site is from another night)'
          : night.liveSite
            ? '  <- live site (the live data is from another night)'
            : '';
    return `${night.id}  ${date}  ${counts}  ${night.site ? 'site kept' : 'no site'}${live}`;
  });
  return lines.join('\n');
}
