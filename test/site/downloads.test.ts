import { mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveSnapshotDir } from '../../src/pipeline/read-snapshot.ts';
import { SnapshotIoError } from '../../src/shared/errors.ts';
import { copyDownloads } from '../../src/site/integration/build-site.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

describe('copyDownloads', () => {
  let dir: string;
  let snapshotDir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qwoty-downloads-'));
    await writePublishedSnapshot(join(dir, 'data'), makeSnapshot({ contacts: 30 }));
    snapshotDir = await resolveSnapshotDir(join(dir, 'data'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('copies the published files byte for byte, and never rejects.json or the manifest', async () => {
    const out = join(dir, 'site');
    await copyDownloads(snapshotDir, out);
    const copied = await readdir(join(out, 'downloads'));
    expect(copied).toContain('contacts.csv');
    expect(copied).not.toContain('rejects.json');
    expect(copied).not.toContain('manifest.json');
    for (const name of copied) {
      expect(await readFile(join(out, 'downloads', name)), name).toEqual(
        await readFile(join(snapshotDir, name)),
      );
    }
  });

  test('stops with one sentence when a file no longer matches its manifest', async () => {
    await truncate(join(snapshotDir, 'contacts.csv'), 10);
    const error = await copyDownloads(snapshotDir, join(dir, 'site-2')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SnapshotIoError);
    expect((error as Error).message).toMatch(/changed while the site was built; run `npm run build` again/);
  });
});
