/**
 * Rolls the data folder argv[2] and the site argv[3] back to the previous night (`rollback`), and kills itself
 * with SIGKILL right after the step named argv[4] (or never, with "none"). Used by rollback.test.ts.
 */
import { type RollbackStep, rollback } from '../../src/nightly/rollback.ts';

const [dataDir = '', siteDir = '', dieAfter = 'none'] = process.argv.slice(2);
await rollback({
  dataDir,
  siteDir,
  to: null,
  pid: process.pid,
  onStep: (step: RollbackStep) => {
    if (step === dieAfter) process.kill(process.pid, 'SIGKILL');
  },
});
