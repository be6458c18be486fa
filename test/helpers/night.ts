/**
 * One night the way `npm run nightly` makes it, small and in this process: publishes a tiny snapshot labelled
 * `label` into `dataDir`, then puts a site naming that snapshot (`qwoty-site.json`) at `siteDir`, each keeping
 * `keep` nights. Used by rollback.test.ts.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXPORTERS } from '../../src/pipeline/exporters/index.ts';
import { lockDataDir, publishSnapshot } from '../../src/pipeline/publish.ts';
import { replaceSite } from '../../src/site/build/site-folder.ts';
import { writeSiteManifest } from '../../src/site/build/site-manifest.ts';
import { tinySnapshot } from '../../src/testing/tiny-snapshot.ts';

export async function makeNight(dataDir: string, siteDir: string, label: string, keep = 7): Promise<void> {
  // Version ids are made to the millisecond: two nights never share one.
  await sleep(2);
  const unlock = await lockDataDir(dataDir, process.pid);
  const published = await publishSnapshot({
    dataDir,
    snapshot: tinySnapshot(label, 3),
    rejects: [],
    exporters: EXPORTERS,
    tool: { name: 'test', version: '0' },
    run: { startedAt: new Date(), requests: 0, retries: 0 },
    keep,
  }).finally(unlock);
  await replaceSite(
    { dir: siteDir, keep },
    async (dir) => {
      await writeFile(path.join(dir, 'index.html'), label);
      await writeSiteManifest(dir, {
        snapshotDir: published.dir,
        generatedAt: published.manifest.generated_at,
      });
    },
    { cwd: process.cwd() },
  );
}
