import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseCommand } from '../../src/shared/command.ts';
import type { Snapshot } from '../../src/shared/schema/published.ts';
import { CUSTOMER_PAGES_CACHE } from '../../src/site/build/customer-pages.ts';
import { findDroppedAsset, findMissingAssets, LOCK_FILE } from '../../src/site/build/site-cache.ts';
import { BUILD_COMMAND } from '../../src/site/build/site-settings.ts';
import { type BuildResult, runBuild } from '../../src/testing/build-fixture-site.ts';
import { makeSnapshot, writePublishedSnapshot } from '../../src/testing/site-fixture.ts';

/** Two nights; the fixture's contacts were last updated on neither (15 January). */
const NIGHT_1 = '2026-01-16T03:00:00.000Z';
const NIGHT_2 = '2026-01-17T03:00:00.000Z';
const NEW_EMAIL = 'moved.on@example.com';

let dir: string;
let dataDir: string;
let cacheDir: string;
let first: Snapshot;
let second: Snapshot;
/** The customer whose contact changed between the nights. */
let changedId: string;
let night1: BuildResult;
let night2: BuildResult;

async function walk(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/** The outputs Astro copied from the cache instead of rendering, from its build log. */
function reused(build: BuildResult): string[] {
  // Colours are on where CI is set (supports-color): compare the text without them.
  const log = stripVTControlCharacters(build.stdout);
  return [...log.matchAll(/├─ (\S+) \((?:restored|cached)\)/g)].map(([, path = '']) => path).sort();
}

/** The outputs Astro rendered, from its build log: listed without "(restored)" or "(cached)". */
function renderedPaths(build: BuildResult): string[] {
  const log = stripVTControlCharacters(build.stdout);
  return [...log.matchAll(/├─ (\S+)( \((?:restored|cached)\))?/g)]
    .filter(([, , copied]) => !copied)
    .map(([, path = '']) => path)
    .sort();
}

const site = (night: string) => join(dir, night);

/** Both sites hold the same files, byte for byte. */
async function expectSameSite(one: string, other: string): Promise<void> {
  const files = await walk(site(one));
  expect(await walk(site(other))).toEqual(files);
  for (const file of files) {
    const [a, b] = await Promise.all([readFile(join(site(one), file)), readFile(join(site(other), file))]);
    expect(a.equals(b), file).toBe(true);
  }
}
/** The file in the cache's folder of customer pages that `page`, in a site, is a hard link to. */
async function cachedCopyOf(page: string): Promise<string> {
  const { ino } = await stat(page);
  const folder = join(cacheDir, CUSTOMER_PAGES_CACHE);
  for (const name of await readdir(folder)) {
    if ((await stat(join(folder, name))).ino === ino) return join(folder, name);
  }
  throw new Error(`${page} is not linked from ${folder}`);
}

const read = (night: string, path: string) => readFile(join(site(night), path), 'utf8');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qwoty-incremental-'));
  dataDir = join(dir, 'data');
  cacheDir = join(dir, 'cache');
  first = { ...makeSnapshot({ contacts: 40, demo: true }), generated_at: NIGHT_1 };
  await writePublishedSnapshot(dataDir, first);
  night1 = await runBuild(dataDir, site('night-1'), { cacheDir, reuse: true });

  // The next night: one contact of the fourth customer has a new email; everything else is the same.
  const target = first.contacts.find((contact) => contact.customer_id === first.customers[3]?.id);
  if (!target) throw new Error('fixture has no contact of customer 3');
  changedId = target.customer_id;
  second = {
    ...first,
    generated_at: NIGHT_2,
    contacts: first.contacts.map((contact) =>
      contact === target ? { ...contact, email: NEW_EMAIL, updated_at: '2026-01-16T15:30:00.000Z' } : contact,
    ),
  };
  await writePublishedSnapshot(dataDir, second, { previous: first });
  night2 = await runBuild(dataDir, site('night-2'), { cacheDir, reuse: true });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the incremental site build', () => {
  test('renders every page the first time', () => {
    expect(night1.code, night1.stderr).toBe(0);
    expect(reused(night1)).toEqual([]);
  });

  test("copies every unchanged customer's page, CSV and vCards, and the letter pages, from the cache", async () => {
    expect(night2.code, night2.stderr).toBe(0);
    const copied = reused(night2);
    const unchanged = first.customers.filter((customer) => customer.id !== changedId);
    expect(unchanged.length).toBeGreaterThan(2);
    for (const customer of unchanged) {
      expect(copied).toContain(`/customers/${customer.id}/index.html`);
      expect(copied).toContain(`/customers/${customer.id}/contacts.csv`);
      expect(copied).toContain(`/customers/${customer.id}/contacts.vcf`);
    }
    const letters = (await walk(site('night-2'))).filter((file) => file.startsWith('directory/'));
    expect(letters.length).toBeGreaterThan(1);
    expect(copied).toEqual(expect.arrayContaining(letters.map((file) => `/${file}`)));
    expect(copied.filter((path) => path.startsWith('/customers/'))).toHaveLength(3 * unchanged.length);
  });

  test("has Astro render only the changed customer's page, and links the others from a private cache", async () => {
    const pages = (build: BuildResult) =>
      renderedPaths(build).filter((path) => /^\/customers\/[^/]+\/index\.html$/.test(path));
    expect(pages(night1)).toHaveLength(first.customers.length);
    expect(pages(night2)).toEqual([`/customers/${changedId}/index.html`]);
    const folder = join(cacheDir, CUSTOMER_PAGES_CACHE);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    // One page per customer: the changed customer's old page is gone from the cache.
    expect(await readdir(folder)).toHaveLength(first.customers.length);
    for (const customer of first.customers) {
      const page = join(site('night-2'), 'customers', customer.id, 'index.html');
      expect((await stat(page)).nlink, customer.id).toBeGreaterThan(1);
      await expect(cachedCopyOf(page)).resolves.toContain(folder);
    }
  });

  test('renders the changed customer again, with its new data', async () => {
    const copied = reused(night2);
    expect(copied).not.toContain(`/customers/${changedId}/index.html`);
    expect(copied).not.toContain(`/customers/${changedId}/contacts.csv`);
    expect(copied).not.toContain(`/customers/${changedId}/contacts.vcf`);
    const page = await read('night-2', `customers/${changedId}/index.html`);
    expect(page).toContain(`href="mailto:${NEW_EMAIL}"`);
    expect(page).toContain('<time datetime="2026-01-16T15:30:00.000Z">16 January 2026 at 15:30 UTC</time>');
    expect(await read('night-2', `customers/${changedId}/contacts.csv`)).toContain(NEW_EMAIL);
    expect(await read('night-2', `customers/${changedId}/contacts.vcf`)).toContain(
      `EMAIL;TYPE=INTERNET:${NEW_EMAIL}`,
    );
  });

  test('always renders the pages that show the snapshot: home, reports and 404', async () => {
    const copied = reused(night2);
    for (const page of ['/index.html', '/changes/index.html', '/quality/index.html', '/404.html']) {
      expect(copied).not.toContain(page);
    }
    const home = await read('night-2', 'index.html');
    expect(home).toMatch(
      /Taken\s*<time datetime="2026-01-17T03:00:00.000Z">17 January 2026 at 03:00 UTC<\/time>/,
    );
    expect(home).toContain('Snapshot taken <time datetime="2026-01-17T03:00:00.000Z">');
  });

  test('puts no snapshot date on a page it may copy', async () => {
    for (const path of reused(night2)) {
      const body = await read('night-2', path);
      expect(body, path).not.toContain('Snapshot taken');
      for (const date of [NIGHT_1, '16 January 2026 at 03:00', NIGHT_2, '17 January 2026']) {
        expect(body, path).not.toContain(date);
      }
    }
    const page = await read('night-2', `customers/${first.customers[0]?.id}/index.html`);
    expect(page).toContain('As in the latest snapshot, whose date is on the <a href="/">home page</a>.');
  });

  test('writes the same bytes as a build that renders every page', async () => {
    const full = await runBuild(dataDir, site('night-2-full'), { cacheDir: join(dir, 'cache-full') });
    expect(full.code, full.stderr).toBe(0);
    expect(reused(full)).toEqual([]);
    await expectSameSite('night-2', 'night-2-full');
  });

  test('reuses nothing after a build that failed, then reuses again', async () => {
    // A folder without a snapshot: the build starts (and claims the cache), then the loader fails.
    await mkdir(join(dir, 'no-snapshot'), { recursive: true });
    const broken = await runBuild(join(dir, 'no-snapshot'), site('broken'), { cacheDir, reuse: true });
    expect(broken.code).toBe(6);
    const after = await runBuild(dataDir, site('after-failure'), { cacheDir, reuse: true });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain('did not finish: rendering every page');
    expect(reused(after)).toEqual([]);
    const next = await runBuild(dataDir, site('next'), { cacheDir, reuse: true });
    expect(next.stderr).toBe('');
    expect(reused(next).length).toBeGreaterThan(3 * first.customers.length);
    // Three builds one after the other: on a loaded shared machine they took more than the default 30 s.
  }, 120_000);

  test('renders every page again when a copied page links a file the build did not emit', async () => {
    // As when another page's change made Astro rename a stylesheet this page shares: the last build emitted
    // the file, this one does not, and the page's own code (so its hash) did not change.
    const id = first.customers[0]?.id ?? '';
    // The cached copy of the page the last build linked into its site: the same file (inode) as the site's.
    const linked = join(site('next'), 'customers', id, 'index.html');
    const cached = await cachedCopyOf(linked);
    const html = await readFile(cached, 'utf8');
    // Replaced, not written in place: the cached copy is one file with the page of the site 'next'.
    await writeFile(`${cached}.new`, html.replace(/href="\/_astro\/[^"]+\.css"/, 'href="/_astro/gone.css"'));
    await rename(`${cached}.new`, cached);
    const record = join(cacheDir, 'emitted-assets.json');
    const recorded = JSON.parse(await readFile(record, 'utf8'));
    await writeFile(
      record,
      JSON.stringify({ ...recorded, assets: [...recorded.assets, '/_astro/gone.css'] }),
    );
    const healed = await runBuild(dataDir, site('healed'), { cacheDir, reuse: true });
    expect(healed.code, healed.stderr).toBe(0);
    expect(healed.stderr).toContain(
      'The last build emitted /_astro/gone.css and this one did not, and a page copied from the site cache could link it: rendering every page.',
    );
    // Every customer page rendered again, not only the one that links the dropped file.
    expect(reused(healed).filter((path) => /^\/customers\/[^/]+\/index\.html$/.test(path))).toEqual([]);
    expect(await findMissingAssets(site('healed'))).toEqual([]);
    await expectSameSite('healed', 'night-2-full');
    expect(await readFile(cached, 'utf8')).toBe(html);
    // Rendered again into a new file: the page of the older site it was linked into kept its bytes.
    expect(await readFile(linked, 'utf8')).toBe(html);
  });

  test('leaves the cache alone while another build holds it', async () => {
    await writeFile(join(cacheDir, LOCK_FILE), `${process.pid}\n`);
    const index = join(cacheDir, 'incremental-build.json');
    const before = (await stat(index)).mtimeMs;
    try {
      const busy = await runBuild(dataDir, site('busy'), { cacheDir, reuse: true });
      expect(busy.code, busy.stderr).toBe(0);
      expect(busy.stderr).toContain(`Another build (process ${process.pid}) is using the site cache`);
      expect(reused(busy)).toEqual([]);
      expect((await stat(index)).mtimeMs).toBe(before);
      expect(await readFile(join(cacheDir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await rm(join(cacheDir, LOCK_FILE), { force: true });
    }
  });
  test('reuses no customer page in a build with other settings (the base path), and the same bytes as a full one', async () => {
    const env = { QWOTY_SITE_BASE: '/contacts/' };
    const based = await runBuild(dataDir, site('based'), { cacheDir, reuse: true, env });
    expect(based.code, based.stderr).toBe(0);
    expect(
      reused(based).filter((path) => path.endsWith('/index.html') && path.startsWith('/customers/')),
    ).toEqual([]);
    const full = await runBuild(dataDir, site('based-full'), { cacheDir: join(dir, 'cache-based'), env });
    expect(full.code, full.stderr).toBe(0);
    await expectSameSite('based', 'based-full');
    const again = await runBuild(dataDir, site('based-again'), { cacheDir, reuse: true, env });
    expect(reused(again)).toContain(`/customers/${changedId}/index.html`);
    await expectSameSite('based-again', 'based-full');
  }, 120_000);
});

describe('findMissingAssets and findDroppedAsset', () => {
  test('lists the pages that link a file under /_astro/ the build did not emit, and only those', async () => {
    const out = join(dir, 'assets');
    await mkdir(join(out, '_astro'), { recursive: true });
    await mkdir(join(out, 'customers', 'a'), { recursive: true });
    await writeFile(join(out, '_astro', 'Base.abc.css'), '');
    await writeFile(join(out, 'index.html'), '<link rel="stylesheet" href="/_astro/Base.abc.css">');
    await writeFile(
      join(out, 'customers', 'a', 'index.html'),
      '<link href="/_astro/Base.abc.css"><script type="module" src="/_astro/gone.js"></script>',
    );
    const stale = `${join('customers', 'a', 'index.html')} → /_astro/gone.js`;
    expect(await findMissingAssets(out)).toEqual([stale]);
    // The last build emitted only files this one emitted again: no cached page can link another.
    expect(await findDroppedAsset(out, new Set(['/_astro/Base.abc.css']))).toBeUndefined();
    // The last build emitted a file this one did not: a cached page could link it.
    expect(await findDroppedAsset(out, new Set(['/_astro/Base.abc.css', '/_astro/gone.js']))).toBe(
      '/_astro/gone.js',
    );
    await writeFile(join(out, '_astro', 'gone.js'), '');
    expect(await findMissingAssets(out)).toEqual([]);
  });

  test('finds them under the base path too (QWOTY_SITE_BASE), where pages link /contacts/_astro/…', async () => {
    const out = join(dir, 'assets-base');
    await mkdir(join(out, '_astro'), { recursive: true });
    await writeFile(join(out, '_astro', 'Base.abc.css'), '');
    await writeFile(
      join(out, 'index.html'),
      '<link href="/contacts/_astro/Base.abc.css"><script type="module" src="/contacts/_astro/gone.js"></script>',
    );
    const stale = 'index.html → /contacts/_astro/gone.js';
    expect(await findMissingAssets(out, 10, undefined, '/contacts/')).toEqual([stale]);
    expect(await findDroppedAsset(out, new Set(['/contacts/_astro/gone.js']), '/contacts/')).toBe(
      '/contacts/_astro/gone.js',
    );
    expect(
      await findDroppedAsset(out, new Set(['/contacts/_astro/Base.abc.css']), '/contacts/'),
    ).toBeUndefined();
  });
});

describe('the build command (BUILD_COMMAND)', () => {
  const force = (argv: string[], env: Record<string, string>) => {
    const parsed = parseCommand(BUILD_COMMAND, env, argv);
    return parsed.help ? 'help' : parsed.values.force;
  };

  test.each([
    [[], {}, false],
    [['--force'], {}, true],
    [[], { QWOTY_SITE_REBUILD: '1' }, true],
    [[], { QWOTY_SITE_REBUILD: 'true' }, true],
    [[], { QWOTY_SITE_REBUILD: '0' }, false],
  ])('reads %j with %j as force: %s', (argv, env, expected) => {
    expect(force(argv, env)).toBe(expected);
  });

  test('asks for the usage with --help or -h, whatever else is set', () => {
    expect(force(['--help'], { QWOTY_SITE_REBUILD: '1' })).toBe('help');
    expect(force(['-h', '--force'], {})).toBe('help');
  });

  test('names the usage for an unknown flag', () => {
    expect(() => force(['--fast'], {})).toThrow(/Unknown option '--fast'.*npm run build -- --help/);
  });
});
