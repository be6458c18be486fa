import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import {
  CUSTOMER_PAGES_CACHE,
  customerPageKey,
  customerPagePath,
  finishCustomerPages,
  type PageSettings,
  pageCodeDigest,
  planCustomerPages,
} from '../../src/site/build/customer-pages.ts';
import { buildDirectory, type Directory } from '../../src/site/build/directory.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const en = createText('en', MESSAGES.en);
const SETTINGS: PageSettings = { lang: 'en', timeZone: 'UTC', siteUrl: null, base: '/' };
const scratch: string[] = [];
afterAll(async () => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(parent, 'qwoty-customer-pages-'));
  scratch.push(dir);
  return dir;
}

let directory: Directory;
const snapshot = makeSnapshot({ contacts: 40 });

/** The directory of `published`, published in a new folder and read as a build reads it. */
async function publishedDirectory(published: typeof snapshot): Promise<Directory> {
  const dir = await tempDir();
  await writePublishedSnapshot(path.join(dir, 'data'), published);
  return buildDirectory(await readSnapshot(path.join(dir, 'data')), en);
}

beforeAll(async () => {
  directory = await publishedDirectory(snapshot);
});

describe('customerPageKey', () => {
  test('changes with anything the page shows or is rendered with, and only then', async () => {
    const [entry, other] = directory.customers;
    if (!entry || !other) throw new Error('the fixture has fewer than two customers');
    const key = customerPageKey({ entry, demo: false }, SETTINGS, 'code');
    // The same data read again (the next night's snapshot, in new objects): the same key.
    const again = (await publishedDirectory(snapshot)).byId.get(entry.customer.id);
    if (!again) throw new Error('the customer is missing from the same snapshot read again');
    expect(again).not.toBe(entry);
    expect(customerPageKey({ entry: again, demo: false }, { ...SETTINGS }, 'code')).toBe(key);
    // One of its contacts changed in the next night's snapshot.
    const edited = structuredClone(snapshot);
    const contact = edited.contacts.find((item) => item.id === entry.contacts[0]?.id);
    if (!contact) throw new Error('the fixture customer has no contact');
    contact.email = 'someone.else@example.com';
    const changed = (await publishedDirectory(edited)).byId.get(entry.customer.id);
    if (!changed) throw new Error('the customer is missing from the changed snapshot');
    const variants = [
      customerPageKey({ entry: other, demo: false }, SETTINGS, 'code'),
      customerPageKey({ entry: changed, demo: false }, SETTINGS, 'code'),
      customerPageKey({ entry, demo: true }, SETTINGS, 'code'),
      customerPageKey({ entry, demo: false }, { ...SETTINGS, lang: 'fr' }, 'code'),
      customerPageKey({ entry, demo: false }, { ...SETTINGS, timeZone: 'Europe/Paris' }, 'code'),
      customerPageKey({ entry, demo: false }, { ...SETTINGS, siteUrl: 'https://intranet/' }, 'code'),
      customerPageKey({ entry, demo: false }, { ...SETTINGS, base: '/contacts/' }, 'code'),
      customerPageKey({ entry, demo: false }, SETTINGS, 'other code'),
    ];
    expect(new Set([key, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('pageCodeDigest', () => {
  test('changes with a component, a stylesheet or a client script, whose hashed files the page links', async () => {
    const root = await tempDir();
    for (const entry of ['src', 'astro.config.mjs', 'tsconfig.json', 'package.json', 'package-lock.json']) {
      await cp(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
    }
    const digest = await pageCodeDigest(root);
    expect(digest).toBe(await pageCodeDigest(ROOT));
    const seen = new Set([digest]);
    for (const file of [
      'src/components/ContactTable.astro',
      'src/styles/global.css',
      'src/site/client/search-ui.ts',
      'package-lock.json',
    ]) {
      await writeFile(path.join(root, file), '\n/* changed */\n', { flag: 'a' });
      const next = await pageCodeDigest(root);
      expect(seen.has(next), file).toBe(false);
      seen.add(next);
    }
  });
});

describe('planCustomerPages and finishCustomerPages', () => {
  /** A site folder as Astro leaves it: the pages the plan named, each with its own bytes. */
  async function renderPlanned(outDir: string, ids: Iterable<string>, version = 1): Promise<void> {
    for (const id of ids) {
      await mkdir(path.join(outDir, 'customers', id), { recursive: true });
      await writeFile(path.join(outDir, customerPagePath(id)), `<p>${id} v${version}</p>`);
    }
  }

  const plan = (cacheDir: string | undefined, force = false) =>
    planCustomerPages({ customers: directory.customers, demo: false, settings: SETTINGS, cacheDir, force });

  test('renders every page the first time, then none: each is linked from the cache, the same file', async () => {
    const cacheDir = await tempDir();
    const ids = directory.customers.map((entry) => entry.customer.id);
    const first = await plan(cacheDir);
    expect([...first.render].sort()).toEqual([...ids].sort());
    const night1 = await tempDir();
    await renderPlanned(night1, first.render);
    expect(await finishCustomerPages({ plan: first, outDir: night1 })).toMatchObject({
      reused: 0,
      stored: ids.length,
    });

    const second = await plan(cacheDir);
    expect(second.render.size).toBe(0);
    const night2 = await tempDir();
    const reused: string[] = [];
    const finished = await finishCustomerPages({
      plan: second,
      outDir: night2,
      onReused: (page) => reused.push(page),
    });
    expect(finished).toMatchObject({ reused: ids.length, stored: 0 });
    expect(reused.sort()).toEqual(ids.map((id) => `/${customerPagePath(id)}`).sort());
    for (const id of ids) {
      const [one, two] = await Promise.all([
        stat(path.join(night1, customerPagePath(id))),
        stat(path.join(night2, customerPagePath(id))),
      ]);
      expect(two.ino, id).toBe(one.ino);
      expect(await readFile(path.join(night2, customerPagePath(id)), 'utf8')).toBe(`<p>${id} v1</p>`);
    }
    const folder = path.join(cacheDir, CUSTOMER_PAGES_CACHE);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    expect(await readdir(folder)).toHaveLength(ids.length);
  });

  test('renders every page again with force, into new files: a site that links the old ones keeps its bytes', async () => {
    const cacheDir = await tempDir();
    const night1 = await tempDir();
    const first = await plan(cacheDir);
    await renderPlanned(night1, first.render);
    await finishCustomerPages({ plan: first, outDir: night1 });
    const forced = await plan(cacheDir, true);
    expect(forced.render.size).toBe(directory.customers.length);
    const night2 = await tempDir();
    await renderPlanned(night2, forced.render, 2);
    await finishCustomerPages({ plan: forced, outDir: night2 });
    const third = await plan(cacheDir);
    const night3 = await tempDir();
    await finishCustomerPages({ plan: third, outDir: night3 });
    for (const entry of directory.customers) {
      const id = entry.customer.id;
      expect(await readFile(path.join(night1, customerPagePath(id)), 'utf8')).toBe(`<p>${id} v1</p>`);
      expect(await readFile(path.join(night3, customerPagePath(id)), 'utf8')).toBe(`<p>${id} v2</p>`);
    }
  });

  test('renders every page and touches nothing without a cache (another build holds it)', async () => {
    const none = await plan(undefined);
    expect(none.render.size).toBe(directory.customers.length);
    const outDir = await tempDir();
    await renderPlanned(outDir, none.render);
    expect(await finishCustomerPages({ plan: none, outDir })).toMatchObject({ reused: 0, stored: 0 });
  });

  test('copies instead when the cache is on another file system than the site (EXDEV)', async () => {
    const other = await tempDir('/dev/shm');
    expect((await stat(other)).dev).not.toBe((await stat(tmpdir())).dev);
    const night1 = await tempDir();
    const first = await plan(other);
    await renderPlanned(night1, first.render);
    await finishCustomerPages({ plan: first, outDir: night1 });
    const night2 = await tempDir();
    const second = await plan(other);
    expect(await finishCustomerPages({ plan: second, outDir: night2 })).toMatchObject({
      reused: directory.customers.length,
    });
    for (const entry of directory.customers) {
      const page = path.join(night2, customerPagePath(entry.customer.id));
      expect((await stat(page)).nlink).toBe(1);
      expect(await readFile(page, 'utf8')).toBe(`<p>${entry.customer.id} v1</p>`);
    }
    expect(
      (await readdir(path.join(night2, 'customers'), { recursive: true })).some((name) =>
        name.endsWith('.tmp'),
      ),
    ).toBe(false);
  });
});
