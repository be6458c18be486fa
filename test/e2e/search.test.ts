/**
 * End-to-end tests of the home page's search as a salesperson uses it, in headless Chromium, once in each
 * language of the site: phone numbers in any form, links a tap dials, typos, companies, the phone layout and
 * the filter counts. Expectations come from the site's own `/downloads/contacts.json`.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Snapshot, type SnapshotContact, SnapshotSchema } from '../../src/shared/schema/published.ts';
import { contactName } from '../../src/site/build/directory.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { fold } from '../../src/site/shared/search.ts';
import { createText } from '../../src/site/shared/text.ts';
import {
  chromiumSuite,
  e2eLanguages,
  type SiteUnderTest,
  serveSiteUnderTest,
  typeQuery,
} from '../helpers/e2e.ts';

const suite = chromiumSuite('the search end-to-end tests');
const languages = await e2eLanguages();
/**
 * The cases that need the fixture's planted values (an extension of 10, accented names, a Globex customer, ids
 * with separators): a site given in QWOTY_E2E_SITE (the demo's) has its own data, and runs the others.
 */
const fixtureOnly = test.runIf(!process.env.QWOTY_E2E_SITE);

/** The result of `contact` in the list shown, by the link to its row. */
function resultOf(page: Page, contact: SnapshotContact) {
  return page.locator('#search-results li', {
    has: page.locator(`a.result-name[href="/customers/${contact.customer_id}/#contact-${contact.id}"]`),
  });
}

suite.each(languages)('search in Chromium (%s)', (lang) => {
  const text = createText(lang, MESSAGES[lang]);
  let site: SiteUnderTest;
  let snapshot: Snapshot;
  let url: string;

  beforeAll(async () => {
    site = await serveSiteUnderTest(lang);
    url = site.server.url;
    snapshot = SnapshotSchema.parse(
      JSON.parse(await readFile(`${site.siteDir}/downloads/contacts.json`, 'utf8')),
    );
  });

  afterAll(async () => {
    await site?.close();
  });

  /** The first contact whose phone satisfies `predicate` and whose phone digits no other contact shares. */
  function contactWithPhone(predicate: (contact: SnapshotContact) => boolean): SnapshotContact {
    const digits = (contact: SnapshotContact) => contact.phone?.replace(/\D/g, '') ?? '';
    const counts = new Map<string, number>();
    for (const contact of snapshot.contacts)
      counts.set(digits(contact), (counts.get(digits(contact)) ?? 0) + 1);
    const found = snapshot.contacts.find(
      (contact) => contact.phone && counts.get(digits(contact)) === 1 && predicate(contact),
    );
    if (!found) throw new Error('The snapshot has no such phone number');
    return found;
  }

  test('finds an international number typed in national form, and a national one typed internationally', async () => {
    const page = await site.newPage();
    await page.goto(`${url}/`);
    const international = contactWithPhone((contact) => /^\+33 6/.test(contact.phone ?? ''));
    const national = international.phone_parsed?.national ?? '';
    expect(national).toMatch(/^06 /);
    await typeQuery(page, national);
    expect(await resultOf(page, international).count()).toBe(1);

    const sentNational = contactWithPhone((contact) => /^04 72/.test(contact.phone ?? ''));
    const e164 = sentNational.phone_parsed?.e164 ?? 'missing';
    await typeQuery(
      page,
      `${e164.slice(0, 3)} ${e164.slice(3, 4)} ${e164.slice(4).replace(/(\d\d)(?=\d)/g, '$1 ')}`,
    );
    expect(await resultOf(page, sentNational).count()).toBe(1);
    await typeQuery(page, e164);
    expect(await resultOf(page, sentNational).count()).toBe(1);

    // Any run of four or more of its digits, from the middle of the number.
    const digits = sentNational.phone_parsed?.e164.slice(5, 10) ?? 'missing';
    await typeQuery(page, digits);
    expect(await resultOf(page, sentNational).count()).toBe(1);
  });

  fixtureOnly(
    'links a number with an extension as RFC 3966, and shows an unreadable number without a link',
    async () => {
      const page = await site.newPage();
      await page.goto(`${url}/`);
      const extended = contactWithPhone((contact) => Boolean(contact.phone_parsed?.extension));
      const uri = extended.phone_parsed?.uri ?? '';
      expect(uri).toMatch(/^tel:\+331\d{8};ext=10$/);
      await typeQuery(page, extended.phone_parsed?.national.replace(/ ext\..*/, '') ?? 'missing');
      expect(await resultOf(page, extended).locator('a.result-phone').getAttribute('href')).toBe(uri);

      const unreadable = snapshot.contacts.find((contact) => contact.phone && !contact.phone_parsed);
      if (!unreadable?.phone) throw new Error('The snapshot has no unreadable phone number');
      await typeQuery(page, contactName(unreadable));
      const result = resultOf(page, unreadable);
      expect(await result.locator('.result-details').textContent()).toContain(unreadable.phone);
      expect(await result.locator('a.result-phone').count()).toBe(0);

      // The customer pages link the same way.
      await page.goto(`${url}/customers/${extended.customer_id}/`);
      expect(await page.locator(`[id="contact-${extended.id}"] a.phone`).getAttribute('href')).toBe(uri);
      await page.goto(`${url}/customers/${unreadable.customer_id}/`);
      const cell = page.locator(`[id="contact-${unreadable.id}"] .phone`);
      expect(await cell.textContent()).toBe(unreadable.phone);
      expect(await cell.evaluate((node) => node.tagName)).toBe('SPAN');
    },
  );

  test('makes every email a result shows a mailto: link', async () => {
    const page = await site.newPage();
    await page.goto(`${url}/`);
    const contact = snapshot.contacts.find(
      (item) => item.email && /^[a-z0-9.]+@example\.com$/.test(item.email),
    );
    if (!contact?.email) throw new Error('The snapshot has no plain email');
    await typeQuery(page, contact.email);
    expect(await resultOf(page, contact).locator('a.result-email').getAttribute('href')).toBe(
      `mailto:${contact.email}`,
    );
  });

  fixtureOnly(
    'forgives typos when nothing matches as typed, says so, and ranks the closest first',
    async () => {
      const page = await site.newPage();
      await page.goto(`${url}/`);
      const zoe = snapshot.contacts.find(
        (contact) => contact.first_name === 'Zoë' && contact.last_name === 'Ñúñez',
      );
      const bjorn = snapshot.contacts.find((contact) => contact.last_name === 'Ångström');
      if (!zoe || !bjorn) throw new Error('The fixture has lost its accented names');
      const status = page.locator('#search-status');
      const names = () => page.locator('#search-results .result-name').allTextContents();

      // A swap of two letters, accents left out: one edit.
      await typeQuery(page, 'zoe nunze');
      expect(await status.textContent()).toMatch(
        new RegExp(`^${escapeRegExp(text.t('client.search.closest', { query: 'zoe nunze' }))} `),
      );
      expect((await names())[0]).toBe(contactName(zoe));

      // Two letters changed in a word of 8: two edits; and one in a word of 5.
      await typeQuery(page, 'ungstrum bjarn');
      expect((await names())[0]).toBe(contactName(bjorn));

      // Found as typed: no fallback, and no "closest".
      await typeQuery(page, 'angstrom');
      expect(await status.textContent()).not.toContain(
        text.t('client.search.closest', { query: 'angstrom' }),
      );
      expect(await names()).toEqual([contactName(bjorn)]);
    },
  );

  fixtureOnly(
    'lists matching customers above their contacts, with type, count and link, by URL and keyboard',
    async () => {
      const customer = snapshot.customers.find((item) => item.name?.startsWith('Globex'));
      if (!customer?.name) throw new Error('The fixture has no Globex customer');
      const matching = snapshot.customers.filter((item) => item.name && /(^|\s)globex/i.test(item.name));
      const page = await site.newPage();
      await page.goto(`${url}/?q=globex`);
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>('#search-results')?.dataset.query === 'globex',
      );
      const links = page.locator('#search-customers a.result-name');
      expect(await links.count()).toBe(Math.min(5, matching.length));
      const first = page.locator('#search-customers li').first();
      expect(await first.locator('a').getAttribute('href')).toBe(`/customers/${matching[0]?.id}/`);
      expect(await first.locator('.result-details').textContent()).toBe(
        `${text.value('customerType', matching[0]?.type ?? '')} · ${text.n('client.search.customerContacts', matching[0]?.contact_count ?? 0)}`,
      );
      expect(await page.locator('#search-status').textContent()).toMatch(
        new RegExp(`^${escapeRegExp(text.n('client.search.customers', matching.length))} `),
      );
      expect(await page.locator('#search-customers').getAttribute('aria-label')).toBe(
        text.t('search.customers'),
      );

      // From the search box, Tab reaches the customers before any contact.
      await page.locator('#q').focus();
      let focused = '';
      for (let step = 0; step < 10 && !focused.includes('result-name'); step++) {
        await page.keyboard.press('Tab');
        focused = await page.evaluate(
          () =>
            `${document.activeElement?.closest('ul, ol')?.id ?? ''} ${document.activeElement?.className ?? ''}`,
        );
      }
      expect(focused).toBe('search-customers result-name');

      // A phone number matches no customer; an empty box hides them.
      await typeQuery(page, '+33 6');
      expect(await page.locator('#search-customers').isVisible()).toBe(false);
    },
  );

  test('on a 390×844 phone with its keyboard open, shows the first result under the box, filters folded', async () => {
    // The software keyboard takes about 336 px of the 844: what is left is the viewport.
    const phone = await site.browser.newContext({
      viewport: { width: 390, height: 844 - 336 },
      hasTouch: true,
    });
    const page = await site.newPage({ in: phone });
    await page.goto(`${url}/`);
    const toggle = page.locator('#filters-toggle');
    expect(await toggle.isVisible()).toBe(true);
    expect(await toggle.textContent()).toBe(text.t('client.search.filters'));
    expect(await page.locator('#role').isVisible()).toBe(false);
    // A phone scrolls the box it focuses into the middle of what the keyboard leaves.
    await page.locator('#q').evaluate((box) => {
      box.focus();
      box.scrollIntoView({ block: 'center' });
    });
    await typeQuery(page, 'zoe');
    const first = await page.locator('#search-results li').first().boundingBox();
    const height = page.viewportSize()?.height ?? 0;
    expect(first?.y).toBeGreaterThanOrEqual(0);
    expect((first?.y ?? height) + (first?.height ?? 0)).toBeLessThanOrEqual(height);
    // Its email and phone are links a tap opens.
    expect(
      await page.locator('#search-results li').first().locator('a.result-email, a.result-phone').count(),
    ).toBe(2);

    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.locator('#role').selectOption({ index: 1 });
    await expect.poll(() => toggle.textContent()).toBe(text.t('client.search.filtersCount', { count: 1 }));

    // On a contact card, an empty field is left out rather than shown as "none".
    const bare = snapshot.contacts.find((contact) => !contact.phone && contact.email);
    if (!bare) throw new Error('The fixture has no contact without a phone');
    await page.goto(`${url}/customers/${bare.customer_id}/`);
    const row = page.locator(`[id="contact-${bare.id}"]`);
    expect(await row.locator('td.empty').count()).toBeGreaterThan(0);
    for (const cell of await row.locator('td.empty').all()) expect(await cell.isVisible()).toBe(false);
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, without the hidden cells.
    expect(await row.innerText()).not.toContain(text.t('contacts.none'));
    await phone.close();
  });

  test('warms up unseen once the data is read: results laid out hidden, then taken away, nothing shown', async () => {
    const page = await site.newPage();
    await page.addInitScript(() => {
      const added: Array<{ visibility: string; ariaHidden: string | null; inert: boolean; items: number }> =
        [];
      Object.assign(window, { __addedLists: added });
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (!(node instanceof HTMLOListElement) || node.id === 'search-results') continue;
            added.push({
              visibility: getComputedStyle(node).visibility,
              ariaHidden: node.getAttribute('aria-hidden'),
              inert: node.inert,
              items: node.children.length,
            });
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('search-data:warm').length > 0);
    const added = await page.evaluate(() => (window as unknown as { __addedLists: unknown[] }).__addedLists);
    expect(added).toEqual([
      { visibility: 'hidden', ariaHidden: 'true', inert: true, items: expect.any(Number) },
    ]);
    expect((added[0] as { items: number }).items).toBeGreaterThan(0);
    expect(await page.locator('ol').count()).toBe(1);
    expect(await page.locator('#search-results li').count()).toBe(0);
    expect(await page.locator('#search-status').textContent()).toBe('');

    const plain = /^[A-Za-z]+$/;
    const contact = snapshot.contacts.find(
      (candidate) => plain.test(candidate.first_name ?? '') && plain.test(candidate.last_name ?? ''),
    );
    if (!contact) throw new Error('The snapshot has no contact with a plain name');
    await typeQuery(page, contactName(contact));
    expect(await resultOf(page, contact).count()).toBe(1);
  });

  test('on a wide screen, shows the filters and no fold button', async () => {
    const page = await site.newPage();
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${url}/`);
    expect(await page.locator('#filters-toggle').isVisible()).toBe(false);
    expect(await page.locator('#role').isVisible()).toBe(true);
  });

  test('shows on each role and country how many of the matches it keeps, zero included and usable', async () => {
    const page = await site.newPage();
    await page.goto(`${url}/`);
    const counts = new Map<string, number>();
    for (const contact of snapshot.contacts)
      counts.set(fold(contactName(contact)), (counts.get(fold(contactName(contact))) ?? 0) + 1);
    const contact = snapshot.contacts.find(
      (item) =>
        item.first_name &&
        item.last_name &&
        item.role.length === 1 &&
        counts.get(fold(contactName(item))) === 1,
    );
    if (!contact) throw new Error('The fixture has no contact with one role and a unique name');
    await typeQuery(page, contactName(contact));
    for (const option of await page.locator('#role option').all()) {
      const value = (await option.getAttribute('value')) ?? '';
      if (!value) continue;
      const kept = contact.role.includes(value) ? 1 : 0;
      expect(await option.textContent()).toBe(
        text.t('client.search.option', { value: text.value('role', value), count: kept }),
      );
      expect(await option.isDisabled()).toBe(false);
    }
    const other = (
      await page
        .locator('#role option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))
    ).find((value) => value && !contact.role.includes(value));
    await page.locator('#role').selectOption(other ?? '');
    await expect.poll(() => page.locator('#search-status').textContent()).toBe(text.t('client.search.none'));
    // Clearing the search puts back the directory's totals.
    await page.locator('#role').selectOption('');
    await typeQuery(page, '');
    const total = snapshot.contacts.filter((item) => item.role.includes(other ?? '')).length;
    expect(await page.locator(`#role option[value="${other}"]`).textContent()).toBe(
      text.t('filter.option', { value: text.value('role', other ?? ''), count: total }),
    );
  });

  fixtureOnly(
    'wraps ids only at their separators, even in a column squeezed narrower than them',
    async () => {
      const contact = snapshot.contacts.find((item) => item.id_crm && item.id_erp);
      if (!contact) throw new Error('The fixture has no contact with two external ids');
      const page = await site.newPage();
      await page.goto(`${url}/customers/${contact.customer_id}/`);
      // Set through the CSSOM: the site's Content-Security-Policy forbids a style element.
      await page.locator('.ids').evaluateAll((lists) => {
        for (const list of lists) (list as HTMLElement).style.width = '2ch';
      });
      const cells = page.locator(`[id="contact-${contact.id}"] .ids`).locator('dt, dd');
      expect(await cells.count()).toBeGreaterThanOrEqual(4);
      // Where the text goes to a new line, the character before must be a separator (or the label's end).
      const cuts = await cells.evaluateAll((nodes) =>
        nodes.flatMap((node) => {
          const textNodes: Text[] = [];
          const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) textNodes.push(walker.currentNode as Text);
          const chars = textNodes.flatMap((textNode) =>
            Array.from(textNode.data, (char, offset) => {
              const range = document.createRange();
              range.setStart(textNode, offset);
              range.setEnd(textNode, offset + 1);
              return { char, top: Math.round(range.getBoundingClientRect().top) };
            }),
          );
          return chars.flatMap((entry, index) => {
            const before = chars[index - 1];
            return before && entry.top > before.top ? [`${before.char}|${entry.char}`] : [];
          });
        }),
      );
      expect(cuts.length).toBeGreaterThan(0);
      for (const cut of cuts) expect(cut).toMatch(/^[-_./:]\|/);
    },
  );
});

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
