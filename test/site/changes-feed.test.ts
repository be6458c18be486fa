import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSnapshot } from '../../src/pipeline/read-snapshot.ts';
import { atomFeed, nightId, nightLines, nightTitle } from '../../src/site/build/changes-feed.ts';
import { buildDirectory, type Directory } from '../../src/site/build/directory.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import {
  fixtureCustomer,
  HOSTILE_NIGHT_CUSTOMER,
  makeHistory,
  makePreviousSnapshot,
  makeSnapshot,
  writePublishedSnapshot,
} from '../../src/testing/site-fixture.ts';

const en = createText('en', MESSAGES.en);
const fr = createText('fr', MESSAGES.fr);
let dir: string;
let directory: Directory;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qwoty-feed-'));
  const snapshot = makeSnapshot({ contacts: 40 });
  await writePublishedSnapshot(dir, snapshot, {
    previous: makePreviousSnapshot(snapshot),
    history: makeHistory(snapshot, 4),
  });
  directory = buildDirectory(await readSnapshot(dir), en);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('atomFeed', () => {
  test('writes well-formed XML with no character XML 1.0 forbids', () => {
    const xml = atomFeed(directory, en);
    expect(XMLValidator.validate(xml)).toBe(true);
    const forbidden = [...xml].filter((character) => {
      const code = character.codePointAt(0) ?? 0;
      return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
    });
    expect(forbidden).toEqual([]);
    expect(xml).not.toContain('<![CDATA[');
  });

  test('is read by a feed parser as Atom 1.0 with one entry per night, newest first', () => {
    const feed = parseFeed(atomFeed(directory, en));
    expect(feed.meta).toEqual({ type: 'atom', version: '1.0' });
    expect(feed.title).toBe('Contacts directory: what changed');
    expect(feed.self).toBe('/changes/feed.xml');
    expect(feed.url).toBe('/changes/');
    expect(directory.nights).toHaveLength(5);
    expect(feed.items.map((item) => item.title)).toEqual(
      directory.nights.map((night) => nightTitle(en, night)),
    );
    expect(feed.items.map((item) => item.url)).toEqual(
      directory.nights.map((night) => `/changes/#${nightId(night)}`),
    );
    expect(feed.items.map((item) => item.updated?.toISOString())).toEqual(
      directory.nights.map((night) => night.generated_at),
    );
    const { added, removed, changed } = directory.changes?.totals ?? { added: -1, removed: -1, changed: -1 };
    expect(feed.items[0]?.title).toBe(
      `15 January 2026 at 03:00 UTC: ${added} contacts added, ${removed} contacts removed, ${changed} contacts changed`,
    );
    expect(feed.items.at(-1)?.title).toBe(
      '11 January 2026 at 03:00 UTC: first snapshot, 40 contacts and 5 customers',
    );
  });

  test('gives each night an id of its own that the next build keeps', () => {
    const ids = parseFeed(atomFeed(directory, en)).items.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id?.startsWith('urn:uuid:'))).toBe(true);
    expect(parseFeed(atomFeed(directory, fr)).items.map((item) => item.id)).toEqual(ids);
  });

  /**
   * Each entry's `<content type="html">` exactly as XML holds it: the HTML a reader renders. (The feed parser
   * above decodes HTML entities in content too, which would hide whether a name was escaped.)
   */
  const contents = (xml: string): string[] =>
    new XMLParser({ processEntities: true, htmlEntities: false })
      .parse(xml)
      .feed.entry.map((entry: { content: string }) => entry.content);

  test("says what each night added, removed and changed, linking the customers' pages while they exist", () => {
    const [latest, older] = contents(atomFeed(directory, en));
    const bold = fixtureCustomer(directory.snapshot, 'markup');
    expect(latest).toContain('<p>1 customer added, 1 customer removed</p>');
    expect(latest).toContain(
      `<li><a href="/customers/${bold?.id}/">&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Quoted&quot; Ltd: 1 added, 3 changed</a></li>`,
    );
    expect(latest).toContain('<li>Gone &lt;i&gt;Away&lt;/i&gt; GmbH (customer removed)</li>');
    expect(older).toContain('<li>Left Since SARL: 1 removed</li>');
  });

  test('keeps a hostile customer name as text, a CDATA end and a control character included', () => {
    const [, older] = contents(atomFeed(directory, en));
    const escaped = HOSTILE_NIGHT_CUSTOMER.replace('\u0001', '')
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;');
    expect(older).toContain(`<li>${escaped}: 2 removed</li>`);
    expect(older).not.toContain('<script>');
  });

  test('links absolutely under the site address, each entry to its own night, and then asks for nothing', () => {
    const site = 'https://contacts.example.com/annuaire/';
    const absolute = (path: string) => new URL(path.replace(/^\/+/, ''), site).href;
    const xml = atomFeed(directory, en, absolute);
    const feed = parseFeed(xml);
    expect(feed.self).toBe(`${site}changes/feed.xml`);
    expect(feed.url).toBe(`${site}changes/`);
    expect(feed.items.map((item) => item.url)).toEqual(
      directory.nights.map((night) => `${site}changes/#${nightId(night)}`),
    );
    const [latest] = contents(xml);
    expect(latest).toContain(`<a href="${site}customers/`);
    expect(latest).not.toMatch(/href="\//);
    expect(feed.description).toBe(MESSAGES.en['feed.subtitle']);
  });

  test('says, without a site address, that its links need one', () => {
    expect(parseFeed(atomFeed(directory, en)).description).toContain('set QWOTY_SITE_URL');
    expect(parseFeed(atomFeed(directory, fr)).description).toContain('QWOTY_SITE_URL');
  });

  test('dates its nights in the time zone of the site, named', () => {
    const paris = createText('fr', MESSAGES.fr, 'Europe/Paris');
    expect(parseFeed(atomFeed(directory, paris)).items[0]?.title).toMatch(
      /^15 janvier 2026 à 04:00 \(Europe\/Paris\)\u00a0: /,
    );
  });

  test('is written in the language of the site', () => {
    const feed = parseFeed(atomFeed(directory, fr));
    expect(feed.language).toBe('fr');
    expect(feed.title).toBe('Annuaire des contacts\u00a0: ce qui a changé');
    expect(feed.items[0]?.title).toMatch(
      /^15 janvier 2026 à 03:00 UTC\u00a0: \d+ contacts ajoutés, 3 contacts supprimés, 3 contacts modifiés$/,
    );
  });
});

describe('nightLines', () => {
  test('names at most the limit of customers and counts the others, those the history left out included', () => {
    const [night] = directory.nights.slice(1);
    if (!night) throw new Error('no older night');
    const wide = { ...night, customers_changed: night.customers.length + 40 };
    const lines = nightLines(directory, en, wide, 2);
    expect(lines).toHaveLength(3);
    const named = night.customers.length + night.customers_added.length + night.customers_removed.length;
    expect(lines[2]).toEqual({ text: `and ${named - 2 + 40} more customers` });
  });

  test('names nobody on a first night, which counts the whole workspace as added', () => {
    const first = directory.nights.at(-1);
    expect(first?.previous_generated_at).toBeNull();
    expect(first && nightLines(directory, en, first)).toEqual([]);
  });
});
