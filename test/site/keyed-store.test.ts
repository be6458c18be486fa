import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { inSlices, openKeyedStore, Placing, placeWhole } from '../../src/site/build/keyed-store.ts';

const scratch: string[] = [];
afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-keyed-store-'));
  scratch.push(dir);
  return dir;
}

describe('openKeyedStore', () => {
  test('places a stored file as the same file, making its folder, and never over a file already there', async () => {
    const dir = await tempDir();
    const source = path.join(dir, 'page.html');
    await writeFile(source, 'page one');
    const store = openKeyedStore(path.join(dir, 'cache'), false);
    store.store(source, 'key-1');
    // Stored under its name directly: no temporary name left beside it.
    expect(await readdir(path.join(dir, 'cache'))).toEqual(['key-1']);
    expect((await stat(path.join(dir, 'cache'))).mode & 0o777).toBe(0o700);

    const reopened = openKeyedStore(path.join(dir, 'cache'), false);
    expect(reopened.has('key-1')).toBe(true);
    const target = path.join(dir, 'site/customers/a/index.html');
    reopened.place('key-1', target);
    expect((await stat(target)).ino).toBe((await stat(source)).ino);
    expect(await readFile(target, 'utf8')).toBe('page one');
    // A site's file is never replaced: placing onto it fails, and its bytes stay.
    expect(() => reopened.place('key-1', path.join(dir, 'page.html'))).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
  });

  test('storing over a name replaces it with a new file: a site linking the old one keeps its bytes', async () => {
    const dir = await tempDir();
    const first = path.join(dir, 'first.html');
    const second = path.join(dir, 'second.html');
    await writeFile(first, 'old bytes');
    await writeFile(second, 'new bytes');
    const store = openKeyedStore(path.join(dir, 'cache'), false);
    store.store(first, 'key');
    const oldSite = path.join(dir, 'old-site/index.html');
    store.place('key', oldSite);

    const forced = openKeyedStore(path.join(dir, 'cache'), true);
    expect(forced.has('key')).toBe(false);
    forced.store(second, 'key');
    expect(await readFile(path.join(dir, 'cache/key'), 'utf8')).toBe('new bytes');
    expect(await readFile(oldSite, 'utf8')).toBe('old bytes');
    expect(await readdir(path.join(dir, 'cache'))).toEqual(['key']);
  });

  test('keepOnly leaves exactly the names kept', async () => {
    const dir = await tempDir();
    const source = path.join(dir, 'file');
    await writeFile(source, 'x');
    const store = openKeyedStore(path.join(dir, 'cache'), false);
    for (const name of ['a', 'b', 'c', 'd']) store.store(source, name);
    await store.keepOnly(new Set(['b', 'd', 'never-stored']));
    expect((await readdir(path.join(dir, 'cache'))).sort()).toEqual(['b', 'd']);
  });
});

describe('placeWhole', () => {
  test('fails as link does when the source is missing, after making the folder', async () => {
    const dir = await tempDir();
    expect(() => placeWhole(path.join(dir, 'absent'), path.join(dir, 'a/b/c'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('inSlices', () => {
  test('runs every item once, in order, and lets the event loop run between slices of work', async () => {
    const items = Array.from({ length: 40 }, (_, index) => index);
    const seen: number[] = [];
    // Scheduled before the work starts: it runs only when the work lets the event loop run.
    let loopRanAt: number | undefined;
    setImmediate(() => {
      loopRanAt = seen.length;
    });
    await inSlices(items, (item) => {
      const until = performance.now() + 2;
      while (performance.now() < until) {
        // Two milliseconds of synchronous work per item, 80 in all: several slices.
      }
      seen.push(item);
    });
    expect(seen).toEqual(items);
    expect(loopRanAt).toBeGreaterThan(0);
    expect(loopRanAt).toBeLessThan(items.length);
  });

  test('a task that throws stops the work and rejects with its error', async () => {
    const seen: number[] = [];
    const work = inSlices([1, 2, 3], (item) => {
      if (item === 2) throw new Error('two');
      seen.push(item);
    });
    await expect(work).rejects.toThrow('two');
    expect(seen).toEqual([1]);
  });
});

describe('Placing', () => {
  test('makes the folders, then links each file, in a worker thread: one file with its source', async () => {
    const dir = await tempDir();
    const from = path.join(dir, 'stored');
    await writeFile(from, 'the bytes');
    const placing = new Placing();
    placing.folder(path.join(dir, 'site', 'a', 'b'));
    placing.link(from, path.join(dir, 'site', 'a', 'b', 'file'));
    // A folder nobody listed is made as it is needed, as by `placeWhole`.
    placing.link(from, path.join(dir, 'site', 'c', 'file'));
    expect(await placing.run()).toBe(3);
    for (const to of ['a/b/file', 'c/file']) {
      const placed = path.join(dir, 'site', to);
      expect(await readFile(placed, 'utf8')).toBe('the bytes');
      expect((await stat(placed)).ino).toBe((await stat(from)).ino);
    }
  });

  test('rejects with the error of the call that failed, its code kept', async () => {
    const dir = await tempDir();
    const placing = new Placing();
    placing.link(path.join(dir, 'missing'), path.join(dir, 'site', 'file'));
    await expect(placing.run()).rejects.toMatchObject({ code: 'ENOENT' });
    const taken = new Placing();
    await writeFile(path.join(dir, 'there'), 'x');
    taken.link(path.join(dir, 'there'), path.join(dir, 'there'));
    await expect(taken.run()).rejects.toMatchObject({ code: 'EEXIST' });
  });

  test('starts no worker for nothing', async () => {
    expect(await new Placing().run()).toBe(0);
  });
});
