/**
 * Publishes a tiny snapshot labelled argv[3] into argv[2], the way a fetch run does (lock, publish, unlock),
 * and kills itself with SIGKILL right after the publish step named argv[4] (or never, with "none").
 * Used by publish.test.ts to prove a kill at any instant leaves a whole snapshot live.
 */
import { EXPORTERS } from '../../src/pipeline/exporters/index.ts';
import { lockDataDir, type PublishStep, publishSnapshot } from '../../src/pipeline/publish.ts';
import { tinySnapshot } from '../../src/testing/tiny-snapshot.ts';

const [dataDir = '', label = 'child', dieAfter = 'none', size = '3'] = process.argv.slice(2);
const unlock = await lockDataDir(dataDir, process.pid);
await publishSnapshot({
  dataDir,
  snapshot: tinySnapshot(label, Number(size)),
  rejects: [],
  exporters: EXPORTERS,
  tool: { name: 'test', version: '0' },
  run: { startedAt: new Date(), requests: 0, retries: 0 },
  onStep: (step: PublishStep) => {
    if (step === dieAfter) process.kill(process.pid, 'SIGKILL');
  },
});
await unlock();
