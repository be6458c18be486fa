import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { inLanes, openKeyedStore, placeWhole } from '../../src/site/build/keyed-store.ts';

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
    const store = await openKeyedStore(path.join(dir, 'cache'), false);
    await store.store(source, 'key-1');
    // Stored under its name directly: no temporary name left beside it.
    expect(await readdir(path.join(dir, 'cache'))).toEqual(['key-1']);
    expect((await stat(path.join(dir, 'cache'))).mode & 0o777).toBe(0o700);

    const reopened = await openKeyedStore(path.join(dir, 'cache'), false);
    expect(reopened.has('key-1')).toBe(true);
    const target = path.join(dir, 'site/customers/a/index.html');
    await reopened.place('key-1', target);
    expect((await stat(target)).ino).toBe((await stat(source)).ino);
    expect(await readFile(target, 'utf8')).toBe('page one');
    // A site's file is never replaced: placing onto it fails, and its bytes stay.
    await expect(reopened.place('key-1', path.join(dir, 'page.html'))).rejects.toMatchObject({
      code: 'EEXIST',
    });
  });

  test('storing over a name replaces it with a new file: a site linking the old one keeps its bytes', async () => {
    const dir = await tempDir();
    const first = path.join(dir, 'first.html');
    const second = path.join(dir, 'second.html');
    await writeFile(first, 'old bytes');
    await writeFile(second, 'new bytes');
    const store = await openKeyedStore(path.join(dir, 'cache'), false);
    await store.store(first, 'key');
    const oldSite = path.join(dir, 'old-site/index.html');
    await store.place('key', oldSite);

    const forced = await openKeyedStore(path.join(dir, 'cache'), true);
    expect(forced.has('key')).toBe(false);
    await forced.store(second, 'key');
    expect(await readFile(path.join(dir, 'cache/key'), 'utf8')).toBe('new bytes');
    expect(await readFile(oldSite, 'utf8')).toBe('old bytes');
    expect(await readdir(path.join(dir, 'cache'))).toEqual(['key']);
  });

  test('keepOnly leaves exactly the names kept', async () => {
    const dir = await tempDir();
    const source = path.join(dir, 'file');
    await writeFile(source, 'x');
    const store = await openKeyedStore(path.join(dir, 'cache'), false);
    for (const name of ['a', 'b', 'c', 'd']) await store.store(source, name);
    await store.keepOnly(new Set(['b', 'd', 'never-stored']));
    expect((await readdir(path.join(dir, 'cache'))).sort()).toEqual(['b', 'd']);
  });
});

describe('placeWhole', () => {
  test('fails as link does when the source is missing, after making the folder', async () => {
    const dir = await tempDir();
    await expect(placeWhole(path.join(dir, 'absent'), path.join(dir, 'a/b/c'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('inLanes', () => {
  test('runs every item once, never more than the lanes at a time', async () => {
    const items = Array.from({ length: 50 }, (_, index) => index);
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    await inLanes(items, 4, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, item % 3));
      seen.push(item);
      running -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(items);
    expect(most).toBe(4);
  });
});
