import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { acquirePidLock, describeProcess, type LockRecord } from '../src/shared/pid-lock.ts';

const CHILD = path.join(import.meta.dirname, 'helpers', 'lock-child.ts');
let dir: string;
let lockPath: string;
/** A process that runs for the whole file: a live pid that is not this one. */
let sleeper: ChildProcess;

beforeAll(() => {
  sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)'], { stdio: 'ignore' });
});
afterAll(() => {
  sleeper.kill('SIGKILL');
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qwoty-lock-'));
  lockPath = path.join(dir, '.lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The id of a process that ran and ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout);
}

/** A lock file as a process on this machine writes it, with `changes` to the record. */
async function writeLock(pid: number, changes: Partial<LockRecord> = {}): Promise<string> {
  const record: LockRecord = {
    ...describeProcess(pid),
    since: new Date().toISOString(),
    nonce: `n${Math.random()}`,
    ...changes,
  };
  const content = `${JSON.stringify(record)}\n`;
  await writeFile(lockPath, content);
  return content;
}

/** Runs lock-child.ts in `kill` mode and waits for it to end. */
function killedChild(step: string): Promise<{ pid: number; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [CHILD, lockPath, 'kill', step], { stdio: 'inherit' });
  return new Promise((resolve) =>
    child.on('exit', (_code, signal) => resolve({ pid: child.pid ?? 0, signal })),
  );
}

describe('acquirePidLock', () => {
  test('takes a free lock, refuses it while held, and frees it on release', async () => {
    const first = await acquirePidLock(lockPath);
    expect(first).toMatchObject({ acquired: true, replaced: null });
    const second = await acquirePidLock(lockPath);
    expect(second).toMatchObject({
      acquired: false,
      holder: { pid: process.pid, verdict: { state: 'held' } },
    });
    if (!first.acquired) throw new Error('unreachable');
    expect(await first.lock.release()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  test('takes over a lock whose process was killed, and says whose it was', async () => {
    const killed = await killedChild('held');
    expect(killed.signal).toBe('SIGKILL');
    const taken = await acquirePidLock(lockPath);
    expect(taken).toMatchObject({
      acquired: true,
      replaced: { pid: killed.pid, verdict: { state: 'stale', reason: `process ${killed.pid} is gone` } },
    });
  });

  test('takes over a lock whose pid now belongs to a process started at another time', async () => {
    const pid = sleeper.pid ?? 0;
    const ticks = describeProcess(pid).start_ticks;
    expect(ticks).toBeTypeOf('number');
    await writeLock(pid);
    expect(await acquirePidLock(lockPath)).toMatchObject({ acquired: false, holder: { pid } });

    await writeLock(pid, { start_ticks: (ticks ?? 1) - 1 });
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: true,
      replaced: {
        pid,
        verdict: { reason: `process ${pid} is gone (its id now belongs to another process)` },
      },
    });
  });

  test('leaves alone a lock taken on another host, even when that pid runs nothing here', async () => {
    const content = await writeLock(deadPid(), { host: 'build-server-2' });
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: false,
      holder: {
        host: 'build-server-2',
        verdict: { state: 'unknown', reason: 'it was taken on host build-server-2' },
      },
    });
    expect(await readFile(lockPath, 'utf8')).toBe(content);
  });

  test('leaves alone a lock taken in another container of this host', async () => {
    const content = await writeLock(deadPid(), { pid_namespace: 'pid:[4026500001]' });
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: false,
      holder: { verdict: { state: 'unknown' } },
    });
    expect(await readFile(lockPath, 'utf8')).toBe(content);
  });

  test('takes over a lock taken before this host restarted, whatever runs under its pid now', async () => {
    await writeLock(sleeper.pid ?? 0, { boot_id: '00000000-0000-0000-0000-000000000000' });
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: true,
      replaced: { verdict: { reason: expect.stringMatching(/has restarted since$/) } },
    });
  });

  test('reads the bare pid that earlier versions wrote', async () => {
    await writeFile(lockPath, `${sleeper.pid}\n`);
    expect(await acquirePidLock(lockPath)).toMatchObject({ acquired: false, holder: { pid: sleeper.pid } });
    const gone = deadPid();
    await writeFile(lockPath, `${gone}\n`);
    expect(await acquirePidLock(lockPath)).toMatchObject({ acquired: true, replaced: { pid: gone } });
  });

  test('takes over a damaged lock file', async () => {
    await writeFile(lockPath, '{"pid": ');
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: true,
      replaced: { pid: null, verdict: { reason: 'the lock file is damaged' } },
    });
  });

  test('does not remove, on release, a lock that another process took over', async () => {
    // Taken in the name of a process that has ended, as if this holder had been judged gone.
    const stale = await acquirePidLock(lockPath, { pid: deadPid() });
    const other = await acquirePidLock(lockPath);
    if (!stale.acquired || !other.acquired) throw new Error('expected both to take the lock in turn');
    const theirs = await readFile(lockPath, 'utf8');
    expect(await stale.lock.release()).toBe(false);
    expect(await readFile(lockPath, 'utf8')).toBe(theirs);
    expect(await other.lock.release()).toBe(true);
  });

  test('leaves a lock marked as let go on abandon, which the next taker takes over at once', async () => {
    const failed = await acquirePidLock(lockPath);
    if (!failed.acquired) throw new Error('expected the lock');
    expect(await failed.lock.abandon()).toBe(true);
    expect(await acquirePidLock(lockPath)).toMatchObject({
      acquired: true,
      replaced: {
        pid: process.pid,
        verdict: { reason: `process ${process.pid} let go of it after a failure` },
      },
    });
    expect(await failed.lock.release()).toBe(false);
  });

  test.each([
    ['claimed', 'the stale lock'],
    ['replaced', 'the killed taker'],
    ['held', 'the killed taker'],
  ])('lets the next taker in when a taker is killed after the %s step, replacing %s', async (step) => {
    const stalePid = deadPid();
    if (step !== 'held') await writeLock(stalePid);
    const killed = await killedChild(step);
    expect(killed.signal).toBe('SIGKILL');

    const taken = await acquirePidLock(lockPath);
    if (!taken.acquired) throw new Error(`expected the lock, held by ${JSON.stringify(taken.holder)}`);
    expect(taken.replaced?.pid).toBe(step === 'claimed' ? stalePid : killed.pid);
    expect(await taken.lock.release()).toBe(true);
    // Its claim, its draft and its lock: nothing of the killed taker is left.
    expect(await readdir(dir)).toEqual([]);
  });

  test('lets exactly one of many processes racing for a stale lock take it', {
    timeout: 120_000,
  }, async () => {
    const racers = Array.from({ length: 10 }, () => startRacer(lockPath));
    try {
      for (const racer of racers) expect(await racer.next()).toBe('ready');
      for (let round = 0; round < 12; round += 1) {
        const stalePid = deadPid();
        // Both forms a killed run leaves: this version's record, and a bare pid from an earlier one.
        if (round % 2) await writeLock(stalePid);
        else await writeFile(lockPath, `${stalePid}\n`);
        for (const racer of racers) racer.send('go');
        const outcomes = await Promise.all(racers.map(async (racer) => JSON.parse(await racer.next())));
        const winners = outcomes.filter((outcome) => outcome.acquired);
        expect(winners, JSON.stringify(outcomes)).toHaveLength(1);
        const [winner] = winners;
        expect(winner.replaced).toBe(stalePid);
        for (const loser of outcomes.filter((outcome) => !outcome.acquired))
          expect(loser.holder).toBe(winner.pid);
        const holder = racers.find((racer) => racer.pid === winner.pid);
        holder?.send('release');
        expect(await holder?.next()).toBe('released');
        expect(await readdir(dir)).toEqual([]);
      }
    } finally {
      for (const racer of racers) racer.end();
    }
  });
});

/** A lock-child.ts in `race` mode, driven line by line. */
function startRacer(lock: string) {
  const child = spawn(process.execPath, [CHILD, lock, 'race'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    pid: child.pid,
    send: (line: string) => child.stdin.write(`${line}\n`),
    next: async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`racer ${child.pid} ended`);
      return value;
    },
    end: () => {
      child.stdin.end();
      child.kill();
    },
  };
}
