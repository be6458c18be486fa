import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { EXPORTERS, type Exporter } from '../src/pipeline/exporters/index.ts';
import { listSnapshots, lockDataDir, publishSnapshot, readLiveManifest } from '../src/pipeline/publish.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { SnapshotIoError } from '../src/shared/errors.ts';
import { describeProcess } from '../src/shared/pid-lock.ts';
import { tinySnapshot } from '../src/testing/tiny-snapshot.ts';

const CHILD = path.join(import.meta.dirname, 'helpers', 'publish-child.ts');
const PUBLISHED = ['contacts.csv', 'contacts.json', 'contacts.xlsx', 'manifest.json', 'rejects.json'];
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'qwoty-publish-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function publishInChild(label: string, dieAfter = 'none', size = 3) {
  return spawnSync(process.execPath, [CHILD, dataDir, label, dieAfter, String(size)], { encoding: 'utf8' });
}

/** Every published file, read through the top-level links, as bytes. */
async function readPublished(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of PUBLISHED) files[name] = (await readFile(path.join(dataDir, name))).toString('base64');
  return files;
}

async function liveLabel(): Promise<string> {
  const { snapshot } = await readSnapshot(dataDir);
  return String(snapshot.customers[0]?.name).split(' ')[0] ?? '';
}

describe('publishSnapshot', () => {
  test('publishes every file at its documented path with a manifest that matches them', async () => {
    expect(publishInChild('old').status).toBe(0);
    const { manifest, snapshot } = await readSnapshot(dataDir);
    expect(manifest.files.map((file) => file.name)).toEqual(
      PUBLISHED.filter((name) => name !== 'manifest.json'),
    );
    expect(manifest.files.find((file) => file.name === 'contacts.csv')?.rows).toBe(3);
    expect(snapshot.contacts).toHaveLength(3);
    expect(await readdir(dataDir)).toEqual(expect.arrayContaining([...PUBLISHED, 'current', '.snapshots']));
  });

  test.each(['staged', 'renamed'])(
    'leaves the previous snapshot byte for byte when killed after the %s step, and the next run cleans up',
    async (step) => {
      expect(publishInChild('old').status).toBe(0);
      const before = await readPublished();

      const killed = publishInChild('new', step);
      expect(killed.signal).toBe('SIGKILL');
      expect(await readPublished()).toEqual(before);
      expect(await liveLabel()).toBe('old');

      expect(publishInChild('newer').status).toBe(0);
      expect(await liveLabel()).toBe('newer');
      const left = await readdir(path.join(dataDir, '.snapshots'));
      expect(left.filter((name) => name.startsWith('.staging-'))).toEqual([]);
      expect((await readdir(dataDir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
      // Two kept, and the one `newer` replaced (old), which is always kept: after the renamed step, the
      // killed run's complete but never live snapshot is one of the two newest, and ages out like a night.
      expect(await listSnapshots(dataDir)).toHaveLength(step === 'renamed' ? 3 : 2);
    },
  );

  test.each(['switched', 'linked'])(
    'has the new snapshot whole and live when killed after the %s step',
    async (step) => {
      expect(publishInChild('old').status).toBe(0);
      expect(publishInChild('new', step).signal).toBe('SIGKILL');
      expect(await liveLabel()).toBe('new');
    },
  );

  test('never shows a reader a mix of two snapshots, whenever the process is killed', async () => {
    expect(publishInChild('old', 'none', 2000).status).toBe(0);
    let label = 'old';
    for (const delayMs of [5, 40, 80, 120, 160, 200, 260, 320, 400, 600]) {
      const child = spawn(process.execPath, [CHILD, dataDir, `run${delayMs}`, 'none', '2000'], {
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await exited;
      const live = await liveLabel(); // throws if files and manifest disagree
      expect([label, `run${delayMs}`]).toContain(live);
      label = live;
    }
  });

  test('leaves the previous snapshot and no staging folder when an exporter fails', async () => {
    expect(publishInChild('old').status).toBe(0);
    const before = await readPublished();
    const failing: Exporter = {
      fileName: 'broken.bin',
      mediaType: 'application/octet-stream',
      write: () => Promise.reject(new Error('disk full')),
    };
    const unlock = await lockDataDir(dataDir, process.pid);
    const publishing = publishSnapshot({
      dataDir,
      snapshot: tinySnapshot('new'),
      rejects: [],
      exporters: [...EXPORTERS, failing],
      tool: { name: 'test', version: '0' },
      run: { startedAt: new Date(), requests: 0, retries: 0 },
    });
    await expect(publishing).rejects.toThrow(SnapshotIoError);
    await expect(publishing).rejects.toThrow(/disk full.*previous snapshot is unchanged/);
    await unlock();
    expect(await readPublished()).toEqual(before);
    expect((await readdir(path.join(dataDir, '.snapshots'))).filter((name) => name.startsWith('.'))).toEqual(
      [],
    );
  });

  test('waits for every other writer before it removes the staging folder after a failure', async () => {
    let slowFinished = false;
    const failing: Exporter = {
      fileName: 'broken.bin',
      mediaType: 'application/octet-stream',
      write: () => Promise.reject(new Error('disk full')),
    };
    // Still writing when the other one fails, as the XLSX worker usually is.
    const slow: Exporter = {
      fileName: 'slow.txt',
      mediaType: 'text/plain',
      write: async (_snapshot, file) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await writeFile(file, 'late');
        slowFinished = true;
        return { rows: 1 };
      },
    };
    const unlock = await lockDataDir(dataDir, process.pid);
    const publishing = publishSnapshot({
      dataDir,
      snapshot: tinySnapshot('new'),
      rejects: [],
      exporters: [failing, slow],
      tool: { name: 'test', version: '0' },
      run: { startedAt: new Date(), requests: 0, retries: 0 },
    });
    await expect(publishing).rejects.toThrow(/disk full/);
    expect(slowFinished).toBe(true);
    await unlock();
    expect((await readdir(path.join(dataDir, '.snapshots'))).filter((name) => name.startsWith('.'))).toEqual(
      [],
    );
  });

  test('keeps the live and the previous snapshot folders only', async () => {
    for (const label of ['a', 'b', 'c', 'd']) expect(publishInChild(label).status).toBe(0);
    expect(await listSnapshots(dataDir)).toHaveLength(2);
    expect((await readLiveManifest(dataDir))?.manifest.counts.contacts).toBe(3);
  });
});

describe('lockDataDir', () => {
  test('refuses a second run while the first holds the lock, and takes over a dead one', async () => {
    const unlock = await lockDataDir(dataDir, process.pid);
    await expect(lockDataDir(dataDir, process.pid + 1)).rejects.toThrow(
      /Another run \(process \d+ on .+, since .+\) is publishing/,
    );
    await unlock();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dataDir, '.lock'), `${deadPid}\n`);
    const again = await lockDataDir(dataDir, process.pid);
    await again();
  });

  test('refuses a lock taken on another host, naming the host and the file to delete', async () => {
    const lock = path.join(dataDir, '.lock');
    const record = { ...describeProcess(), host: 'cron-2', since: '2026-11-30T02:17:00.000Z', nonce: 'x' };
    await writeFile(lock, `${JSON.stringify(record)}\n`);
    await expect(lockDataDir(dataDir, process.pid)).rejects.toThrow(
      `Another run (process ${process.pid} on cron-2, since 2026-11-30T02:17:00.000Z) holds ${lock}, and this machine cannot tell whether it still runs (it was taken on host cron-2); wait for it to finish, or delete ${lock} if no run is active there.`,
    );
  });
});
