import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import { digestOf } from '../../src/site/build/cache-key.ts';
import {
  CUSTOMER_FILES_CACHE,
  customerFiles,
  filesCodeDigest,
  writeCustomerFiles,
} from '../../src/site/build/customer-files.ts';
import { buildDirectory, type Directory } from '../../src/site/build/directory.ts';
import { Placing } from '../../src/site/build/keyed-store.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const en = createText('en', MESSAGES.en);
const scratch: string[] = [];
afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, 'qwoty-customer-files-'));
  scratch.push(dir);
  return dir;
}

describe('filesCodeDigest', () => {
  test('hashes a checkout without a lockfile instead of failing the build, and tells it from one with', async () => {
    // The server kit's test checkout once lacked package-lock.json, and every nightly failed with ENOENT.
    const root = await tempDir();
    await cp(path.join(ROOT, 'src'), path.join(root, 'src'), { recursive: true });
    const withoutLock = await filesCodeDigest(root);
    expect(withoutLock).toMatch(/^[0-9a-f]{64}$/);
    await writeFile(path.join(root, 'package-lock.json'), '{}');
    expect(await filesCodeDigest(root)).not.toBe(withoutLock);
    expect(await filesCodeDigest(ROOT)).not.toBe(withoutLock);
  });
});

describe('digestOf', () => {
  test('hashes an object once for every copy of its module: the pages and the customer files share it', async () => {
    // Astro's bundle of the pages holds a copy of cache-key.ts of its own, as a second import does here.
    const url = `${new URL('../../src/site/build/cache-key.ts', import.meta.url).href}?another-copy`;
    const copy = (await import(url)) as typeof import('../../src/site/build/cache-key.ts');
    expect(copy.digestOf).not.toBe(digestOf);
    const contacts = [{ id: 'a' }];
    const digest = copy.digestOf(contacts);
    // Never done to the directory's data: here it tells a memo shared from a second hash.
    contacts.push({ id: 'b' });
    expect(digestOf(contacts)).toBe(digest);
    expect(digestOf([{ id: 'a' }, { id: 'b' }])).not.toBe(digest);
  });
});

describe('digestOf, for contacts read from a snapshot', () => {
  /** Each customer's digest, by id, from the snapshot published in a new folder. */
  async function digestsOf(snapshot: ReturnType<typeof makeSnapshot>): Promise<Map<string, string>> {
    const data = path.join(await tempDir(), 'data');
    await writePublishedSnapshot(data, snapshot);
    const read = buildDirectory(await readSnapshot(data), en);
    return new Map(read.customers.map((entry) => [entry.customer.id, digestOf(entry.contacts)]));
  }

  test('hashes their lines: the same on every read, another for a customer one of whose contacts changed', async () => {
    const snapshot = makeSnapshot({ contacts: 40 });
    const first = await digestsOf(snapshot);
    expect(await digestsOf(snapshot)).toEqual(first);
    const changed = snapshot.contacts[5];
    if (!changed) throw new Error('The fixture has fewer than 6 contacts');
    changed.email = `other-${changed.email ?? ''}`;
    const after = await digestsOf(snapshot);
    for (const [id, digest] of first) {
      if (id === changed.customer_id) expect(after.get(id)).not.toBe(digest);
      else expect(after.get(id)).toBe(digest);
    }
  });

  test('hashes the JSON of a list one of whose contacts was not read from a line, as of anything else', async () => {
    const data = path.join(await tempDir(), 'data');
    await writePublishedSnapshot(data, makeSnapshot({ contacts: 4 }));
    const { contacts } = (await readSnapshot(data)).snapshot;
    const mixed = [...contacts, { ...contacts[0] }];
    const json = createHash('sha256').update(JSON.stringify(mixed)).digest('hex');
    expect(digestOf(mixed)).toBe(json);
    expect(digestOf([...contacts])).not.toBe(
      createHash('sha256').update(JSON.stringify(contacts)).digest('hex'),
    );
  });
});

describe('writeCustomerFiles', () => {
  let dir: string;
  let directory: Directory;
  /** Every customer's file, relative to a site's folder. */
  let sitePaths: string[];

  beforeAll(async () => {
    dir = await tempDir();
    await writePublishedSnapshot(path.join(dir, 'data'), makeSnapshot({ contacts: 40 }));
    directory = buildDirectory(await readSnapshot(path.join(dir, 'data')), en);
    sitePaths = directory.customers.flatMap((entry) => customerFiles(entry, en).map((file) => file.path));
  });

  /** The files of a site built without any cache: what every other build must match, byte for byte. */
  async function uncached(): Promise<Map<string, Buffer>> {
    const outDir = await tempDir();
    await writeCustomerFiles({ customers: directory.customers, text: en, outDir });
    return new Map(
      await Promise.all(
        sitePaths.map(async (file) => [file, await readFile(path.join(outDir, file))] as const),
      ),
    );
  }

  async function expectSameBytes(outDir: string, expected: Map<string, Buffer>): Promise<void> {
    for (const [file, bytes] of expected) {
      expect((await readFile(path.join(outDir, file))).equals(bytes), file).toBe(true);
    }
  }

  test.each([
    ['on this thread', false],
    ['by a worker', true],
  ])(
    'links the files of a later night from the cache: one file each, the same bytes, no copy (%s)',
    async (_, byWorker) => {
      const expected = await uncached();
      const cacheDir = await tempDir();
      const [night1, night2] = [await tempDir(), await tempDir()];
      /** A night's files, written and linked by a worker (`Placing`) or here. */
      const night = async (outDir: string) => {
        const placing = byWorker ? new Placing() : undefined;
        const result = await writeCustomerFiles({
          customers: directory.customers,
          text: en,
          outDir,
          cacheDir,
          placing,
        });
        expect(await placing?.run()).toBe(byWorker ? sitePaths.length : undefined);
        return result;
      };
      const first = await night(night1);
      expect(first).toEqual({ written: sitePaths.length, reused: 0 });
      const second = await night(night2);
      expect(second).toEqual({ written: 0, reused: sitePaths.length });
      await expectSameBytes(night1, expected);
      await expectSameBytes(night2, expected);
      const cached = await readdir(path.join(cacheDir, CUSTOMER_FILES_CACHE));
      expect(cached).toHaveLength(sitePaths.length);
      const inodes = new Set(
        await Promise.all(
          cached.map(async (name) => (await stat(path.join(cacheDir, CUSTOMER_FILES_CACHE, name))).ino),
        ),
      );
      for (const file of sitePaths) {
        const [one, two] = await Promise.all([stat(path.join(night1, file)), stat(path.join(night2, file))]);
        // Written once on the first night, then the same file in the cache and in both sites.
        expect(two.ino, file).toBe(one.ino);
        expect(inodes.has(one.ino), file).toBe(true);
        expect(one.nlink, file).toBe(3);
      }
    },
  );

  test('makes every file again with force, and never changes a site that links the old ones', async () => {
    const cacheDir = await tempDir();
    const [night1, night2] = [await tempDir(), await tempDir()];
    await writeCustomerFiles({ customers: directory.customers, text: en, outDir: night1, cacheDir });
    const before = await stat(path.join(night1, sitePaths[0] ?? ''));
    const forced = await writeCustomerFiles({
      customers: directory.customers,
      text: en,
      outDir: night2,
      cacheDir,
      force: true,
    });
    expect(forced).toEqual({ written: sitePaths.length, reused: 0 });
    const after = await stat(path.join(night2, sitePaths[0] ?? ''));
    expect(after.ino).not.toBe(before.ino);
    // The first site's file lost the cache's name (renamed over), and nothing else: its bytes are its own.
    expect((await stat(path.join(night1, sitePaths[0] ?? ''))).nlink).toBe(1);
    await expectSameBytes(night1, await uncached());
    expect(await readdir(path.join(cacheDir, CUSTOMER_FILES_CACHE))).toHaveLength(sitePaths.length);
  });

  test("keeps the cache's folder private, since its files are the sites' files and the site's group reads those", async () => {
    const cacheDir = await tempDir();
    await mkdir(path.join(cacheDir, CUSTOMER_FILES_CACHE), { mode: 0o755 });
    await chmod(path.join(cacheDir, CUSTOMER_FILES_CACHE), 0o755);
    await writeCustomerFiles({ customers: directory.customers, text: en, outDir: await tempDir(), cacheDir });
    expect((await stat(path.join(cacheDir, CUSTOMER_FILES_CACHE))).mode & 0o777).toBe(0o700);
  });

  test('copies instead when the cache is on another file system than the site (EXDEV)', async () => {
    const other = await tempDir('/dev/shm');
    const [cacheStat, siteStat] = await Promise.all([stat(other), stat(tmpdir())]);
    // Both on one file system here (no /dev/shm tmpfs) would make this test prove nothing.
    expect(cacheStat.dev).not.toBe(siteStat.dev);
    const expected = await uncached();
    const [night1, night2] = [await tempDir(), await tempDir()];
    const first = await writeCustomerFiles({
      customers: directory.customers,
      text: en,
      outDir: night1,
      cacheDir: other,
    });
    const second = await writeCustomerFiles({
      customers: directory.customers,
      text: en,
      outDir: night2,
      cacheDir: other,
    });
    expect(first.written).toBe(sitePaths.length);
    expect(second.reused).toBe(sitePaths.length);
    await expectSameBytes(night1, expected);
    await expectSameBytes(night2, expected);
    for (const file of sitePaths) expect((await stat(path.join(night2, file))).nlink, file).toBe(1);
  });
});
