import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { listNights, rollback } from '../src/nightly/rollback.ts';
import { listSnapshots, readManifest, SWITCH_JOURNAL } from '../src/pipeline/publish.ts';
import { replaceSite } from '../src/site/build/site-folder.ts';
import { readSiteManifest, writeSiteManifest } from '../src/site/build/site-manifest.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';
import { makeNight } from './helpers/night.ts';

const ROLLBACK_CHILD = path.join(import.meta.dirname, 'helpers', 'rollback-child.ts');
const SCRIPT = path.join(import.meta.dirname, '..', 'scripts', 'rollback.ts');

// Real child processes (the command, a killed roll-back) on a shared machine: give them time.
describe('npm run rollback', { timeout: 120_000 }, () => {
  let root: string;
  let dataDir: string;
  let siteDir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'qwoty-rollback-'));
    dataDir = path.join(root, 'data');
    siteDir = path.join(root, 'site');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const night = (label: string, keep = 7) => makeNight(dataDir, siteDir, label, keep);
  function run(...argv: string[]) {
    return spawnSync(process.execPath, [SCRIPT, ...argv], {
      encoding: 'utf8',
      env: { ...process.env, QWOTY_DATA_DIR: dataDir, QWOTY_SITE_DIR: siteDir },
    });
  }
  /** The live pair: the label in data/current's contacts and the site's page, and the ids each names. */
  async function livePair() {
    const contacts = JSON.parse(await readFile(path.join(dataDir, 'current', 'contacts.json'), 'utf8'));
    const data = path.basename(await realpath(path.join(dataDir, 'current')));
    const site = (await readSiteManifest(await realpath(siteDir)))?.snapshot;
    return {
      dataLabel: String(contacts.contacts[0].first_name).split(' ')[0],
      siteLabel: await readFile(path.join(siteDir, 'index.html'), 'utf8'),
      sameSnapshot: data === site,
    };
  }

  test('switches the data and the site back to the previous night together, and --to goes forward again', async () => {
    for (const label of ['a', 'b', 'c']) await night(label);
    const ids = await listSnapshots(dataDir);
    expect(await livePair()).toEqual({ dataLabel: 'c', siteLabel: 'c', sameSnapshot: true });

    const back = run();
    expect(back.stderr).toBe('');
    expect(back.status).toBe(0);
    expect(back.stdout).toContain(`now the night ${ids[1]}`);
    expect(await livePair()).toEqual({ dataLabel: 'b', siteLabel: 'b', sameSnapshot: true });
    expect(run().status).toBe(0);
    expect(await livePair()).toEqual({ dataLabel: 'a', siteLabel: 'a', sameSnapshot: true });

    expect(run('--to', ids[2] ?? '').status).toBe(0);
    expect(await livePair()).toEqual({ dataLabel: 'c', siteLabel: 'c', sameSnapshot: true });
    // Nothing left of the switches, and nothing pruned by them.
    expect(await lstat(path.join(dataDir, SWITCH_JOURNAL)).catch(() => null)).toBeNull();
    expect(await listSnapshots(dataDir)).toEqual(ids);
  });

  test('--list names each night kept with its date and counts, and which one is live', async () => {
    for (const label of ['a', 'b']) await night(label);
    const ids = await listSnapshots(dataDir);
    const listed = run('--list');
    expect(listed.status).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${ids[1]}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC  3 contacts, 2 customers  site kept  <- live$`,
      ),
    );
    expect(lines[1]).toMatch(new RegExp(`^${ids[0]} .* site kept$`));
  });

  test('says so when the live data and the live site come from different nights', async () => {
    await night('a');
    await night('b');
    // A fetch alone (or a nightly whose build failed): new data, the site still from the night before.
    spawnSync(process.execPath, [
      path.join(import.meta.dirname, 'helpers', 'publish-child.ts'),
      dataDir,
      'c',
    ]);
    const lines = run('--list').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/no site {2}<- live data \(the live site is from another night\)$/);
    expect(lines[1]).toMatch(/site kept {2}<- live site \(the live data is from another night\)$/);
    // Rolling back makes them one night again: the one before the live data, with its site.
    expect(run().status).toBe(0);
    expect(await livePair()).toEqual({ dataLabel: 'b', siteLabel: 'b', sameSnapshot: true });
  });

  test('refuses an unknown night with exit 2, and the first night with exit 6, changing nothing', async () => {
    await night('a');
    const unknown = run('--to', '20200101T000000000Z-abcdef');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      'No night 20200101T000000000Z-abcdef is kept; see `npm run rollback -- --list`.',
    );
    const first = run();
    expect(first.status).toBe(6);
    expect(first.stderr).toMatch(/No night before the live one \S+ is kept with its site/);
    expect(await livePair()).toEqual({ dataLabel: 'a', siteLabel: 'a', sameSnapshot: true });
  });

  test.each(['journaled', 'switched-0', 'switched-1', 'done'])(
    'a roll-back killed after the %s step leaves a consistent pair once the next command runs',
    async (step) => {
      for (const label of ['a', 'b', 'c']) await night(label);
      const killed = spawnSync(process.execPath, [ROLLBACK_CHILD, dataDir, siteDir, step]);
      expect(killed.signal).toBe('SIGKILL');
      // Whatever the next command is (a list here; a fetch or a nightly does the same), it finishes the switch.
      expect(run('--list').status).toBe(0);
      expect(await livePair()).toEqual({ dataLabel: 'b', siteLabel: 'b', sameSnapshot: true });
      expect(await lstat(path.join(dataDir, SWITCH_JOURNAL)).catch(() => null)).toBeNull();
      expect((await readdir(dataDir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    },
  );

  test('keeps QWOTY_KEEP_NIGHTS nights of each, and the night rolled back to whatever its age', async () => {
    for (const label of ['a', 'b', 'c', 'd']) await night(label, 3);
    const nights = await listNights({ dataDir, siteDir });
    expect(nights.map((n) => n.site !== null)).toEqual([true, true, true]);
    const b = nights[0]?.id ?? '';
    expect(run('--to', b).status).toBe(0);
    await night('e', 3);
    // c, d, e are the newest three, and b, which e replaced, is kept with its site: the way back stays open.
    const afterE = await listNights({ dataDir, siteDir });
    expect(afterE.map((n) => [n.id === b, n.site !== null])).toEqual([
      [true, true],
      [false, true],
      [false, true],
      [false, true],
    ]);
    await night('f', 3);
    // Then it ages out like any night.
    const afterF = await listNights({ dataDir, siteDir });
    expect(afterF).toHaveLength(3);
    expect(afterF.map((n) => n.id)).not.toContain(b);
    expect(afterF.every((n) => n.site !== null)).toBe(true);
  });
});

describe('the nightly after a roll-back', { timeout: 120_000 }, () => {
  const api = useEmbeddedApi('qwt_rollback_token_123456', 'rollback-nightly');

  test('keeps the night rolled back to and compares against it in its change report', async () => {
    const siteRoot = await mkdtemp(path.join(tmpdir(), 'qwoty-rollback-site-'));
    const siteDir = path.join(siteRoot, 'dist');
    const env = { QWOTY_KEEP_NIGHTS: '2' };
    /** A night: the fetch, then a site naming its snapshot (the build, minus Astro). */
    const nightFrom = async (workspace: ReturnType<typeof generateWorkspace>) => {
      const fetched = await api.fetch(await api.serve({ workspace }), env);
      await replaceSite(
        { dir: siteDir, keep: 2 },
        (dir) =>
          writeSiteManifest(dir, { snapshotDir: fetched.dir, generatedAt: fetched.manifest.generated_at }),
        { cwd: process.cwd() },
      );
      return fetched;
    };
    try {
      const good = generateWorkspace({ contacts: 80, seed: 5 });
      const first = await nightFrom(good);
      const bad = await nightFrom(generateWorkspace({ contacts: 60, seed: 6 }));
      expect(bad.changes.totals.added).toBeGreaterThan(0);

      await rollback({ dataDir: api.dir(), siteDir, to: null, pid: process.pid });
      const next = await nightFrom(good);
      // The baseline was the night rolled back to: the same workspace again, so nothing changed.
      expect(next.previous?.generated_at).toBe(first.manifest.generated_at);
      expect(next.changes.totals).toMatchObject({ added: 0, removed: 0, changed: 0 });
      // Kept though older than the night it replaced (two nights kept: the new one and the bad one by age).
      expect(await readManifest(first.dir)).toEqual(first.manifest);
      expect((await listSnapshots(api.dir())).length).toBe(3);
    } finally {
      await rm(siteDir, { recursive: true, force: true });
      await rm(`${path.dirname(siteDir)}/.${path.basename(siteDir)}.versions`, {
        recursive: true,
        force: true,
      });
    }
  });
});
