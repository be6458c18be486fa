/**
 * Takes the pid lock at argv[2] the way the entry points do, for pid-lock.test.ts.
 *
 *   race            prints "ready", then for each "go" line on stdin tries to take the lock and prints the
 *                   outcome as one JSON line; a taker holds the lock until a "release" line, releases it and
 *                   prints "released". Ends with stdin.
 *   kill <step>     takes the lock and kills itself with SIGKILL at the takeover step named (`claimed`,
 *                   `replaced`), or once it holds the lock (`held`).
 */
import { createInterface } from 'node:readline';
import { acquirePidLock, type TakeoverStep } from '../../src/shared/pid-lock.ts';

const [lockPath = '', mode = 'race', step = 'held'] = process.argv.slice(2);

if (mode === 'kill') {
  const die = () => process.kill(process.pid, 'SIGKILL');
  const taken = await acquirePidLock(lockPath, {
    onStep: (at: TakeoverStep) => {
      if (at === step) die();
    },
  });
  if (taken.acquired && step === 'held') die();
  process.exitCode = 3; // never reached when the step happened
} else {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value as string | undefined;
  process.stdout.write('ready\n');
  while ((await next()) === 'go') {
    const taken = await acquirePidLock(lockPath);
    const outcome = taken.acquired
      ? { pid: process.pid, acquired: true, replaced: taken.replaced?.pid ?? null }
      : { pid: process.pid, acquired: false, holder: taken.holder.pid };
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    if (taken.acquired) {
      if ((await next()) !== 'release') break;
      const released = await taken.lock.release();
      process.stdout.write(`${released ? 'released' : 'not ours'}\n`);
    }
  }
  process.exit(0);
}
