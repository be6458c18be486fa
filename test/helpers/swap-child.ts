/**
 * Replaces the site folder argv[2] the way a site build does (`replaceSite`: lock, staging folder, switch,
 * prune), with a few files that all read argv[3], and kills itself with SIGKILL right after the step named
 * argv[4] (or never, with "none"). With argv[5] = N, replaces it N times in a row, labelled `<label>-<i>`.
 * Used by swap-dir.test.ts to prove a kill at any instant leaves a whole site live. QWOTY_SITE_GROUP, when set, is
 * the group given to each version (site-group.test.ts). Files are made owner-only, as the entry points' umask does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceSite, type SiteStep } from '../../src/site/build/site-folder.ts';

const FILES = ['index.html', 'a.html', 'b.html', 'label.txt'];

const [siteDir, label = 'child', dieAfter = 'none', times = '1'] = process.argv.slice(2);
if (!siteDir) throw new Error('usage: swap-child.ts <site-dir> [label] [step] [times]');
const count = Number(times);
for (let run = 0; run < count; run += 1) {
  const text = count > 1 ? `${label}-${run}` : label;
  await replaceSite(
    { dir: siteDir, group: process.env.QWOTY_SITE_GROUP },
    async (dir) => {
      for (const name of FILES) await writeFile(path.join(dir, name), text, { mode: 0o600 });
      await mkdir(path.join(dir, '_astro'), { mode: 0o700 });
      await writeFile(path.join(dir, '_astro', 'page.css'), text, { mode: 0o600 });
    },
    {
      cwd: process.cwd(),
      onStep: (step: SiteStep) => {
        if (step === dieAfter) process.kill(process.pid, 'SIGKILL');
      },
    },
  );
}
