/**
 * Replaces the site folder argv[2] the way a site build does (`replaceSite`: lock, staging folder, switch,
 * prune), with a few files that all read argv[3], and kills itself with SIGKILL right after the step named
 * argv[4] (or never, with "none"). With argv[5] = N, replaces it N times in a row, labelled `<label>-<i>`.
 * Used by swap-dir.test.ts to prove a kill at any instant leaves a whole site live.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceSite, type SiteStep } from '../../src/site/build/site-folder.ts';

const FILES = ['index.html', 'a.html', 'b.html', 'label.txt'];

const [siteDir, label = 'child', dieAfter = 'none', times = '1'] = process.argv.slice(2);
if (!siteDir) throw new Error('usage: swap-child.ts <site-dir> [label] [step] [times]');
const count = Number(times);
for (let run = 0; run < count; run += 1) {
  const text = count > 1 ? `${label}-${run}` : label;
  await replaceSite(
    siteDir,
    async (dir) => {
      for (const name of FILES) await writeFile(path.join(dir, name), text);
    },
    {
      onStep: (step: SiteStep) => {
        if (step === dieAfter) process.kill(process.pid, 'SIGKILL');
      },
    },
  );
}
