/**
 * The nights of the change history as the change page lists them and as an Atom 1.0 feed
 * (`/changes/feed.xml`, RFC 4287): one entry per night, newest first, saying what was added, removed and
 * changed, with links to the customer pages.
 *
 * Written by hand rather than with the `feed` package: that one requires absolute URLs, and a site built from
 * a snapshot does not know the address it will be served at (an internal host, behind SSO). Links here are
 * relative to the feed's own URL, as RFC 4287 allows (section 2, `xml:base` absent). Every text goes through
 * `xml()`, which also drops the characters XML 1.0 cannot hold, so a hostile name stays text in any reader.
 */
import { createHash } from 'node:crypto';
import type { ChangesNight } from '../../shared/schema/reports.ts';
import { siteUrl } from '../shared/site-url.ts';
import type { Text } from '../shared/text.ts';
import type { Directory } from './directory.ts';
import { customerHref } from './reports.ts';

/** Where the feed is published, and the page each entry links to. */
export const FEED_PATH = siteUrl('/changes/feed.xml');
export const CHANGES_PATH = siteUrl('/changes/');

/**
 * Customers an entry names at most: a night that touched hundreds would otherwise make every poll of the feed
 * download them all again, for 30 nights. The rest are counted ("and 75 more customers").
 */
export const FEED_CUSTOMERS_PER_NIGHT = 25;

/** The anchor of a night's row on the change page: `night-20260115T030000000Z`. */
export function nightId(night: Pick<ChangesNight, 'generated_at'>): string {
  return `night-${night.generated_at.replace(/[-:.]/g, '')}`;
}

/** One line about a customer in a night: its name (linked while its page exists) and what happened. */
export interface NightLine {
  text: string;
  href?: string | undefined;
}

/**
 * What a night did to its customers, at most `limit` lines: the customers whose contacts changed (with
 * counts), then those added and removed, then how many more the history counts.
 */
export function nightLines(
  directory: Directory,
  text: Text,
  night: ChangesNight,
  limit = Number.POSITIVE_INFINITY,
): NightLine[] {
  // A first night counts the whole workspace as added and names nobody.
  if (night.previous_generated_at === null) return [];
  const name = (id: string, recorded: string | null) =>
    directory.byId.get(id)?.name ?? (recorded?.trim() || text.t('customer.fallbackName', { id }));
  const lines: NightLine[] = [
    ...night.customers.map((customer) => ({
      text: text.t('night.customer', {
        name: name(customer.id, customer.name),
        counts: [
          ...(customer.added > 0 ? [text.n('night.added', customer.added)] : []),
          ...(customer.removed > 0 ? [text.n('night.removed', customer.removed)] : []),
          ...(customer.changed > 0 ? [text.n('night.changed', customer.changed)] : []),
        ].join(', '),
      }),
      href: customerHref(directory, customer.id),
    })),
    ...night.customers_added.map((customer) => ({
      text: text.t('night.customerAdded', { name: name(customer.id, customer.name) }),
      href: customerHref(directory, customer.id),
    })),
    ...night.customers_removed.map((customer) => ({
      text: text.t('night.customerRemoved', {
        name: customer.name?.trim() || text.t('customer.fallbackName', { id: customer.id }),
      }),
    })),
  ];
  const shown = lines.slice(0, limit);
  const named = night.customers.length + night.customers_added.length + night.customers_removed.length;
  const counted =
    night.customers_changed +
    Math.max(night.totals.customers_added, night.customers_added.length) +
    Math.max(night.totals.customers_removed, night.customers_removed.length);
  const more = counted - named + (lines.length - shown.length);
  return more > 0 ? [...shown, { text: text.n('night.more', more) }] : shown;
}

/** A night in one line: "15 January 2026 at 03:00 UTC: 3 contacts added, 1 contact removed, …". */
export function nightTitle(text: Text, night: ChangesNight): string {
  const date = text.date(night.generated_at);
  if (night.previous_generated_at === null) {
    return text.t('feed.firstTitle', {
      date,
      contacts: text.n('count.contacts', night.totals.added),
      customers: text.n('count.customers', night.totals.customers_added),
    });
  }
  return text.t('feed.entryTitle', {
    date,
    added: text.n('changes.totalAdded', night.totals.added),
    removed: text.n('changes.totalRemoved', night.totals.removed),
    changed: text.n('changes.totalChanged', night.totals.changed),
  });
}

/** Escapes text for XML and HTML alike, dropping the characters XML 1.0 cannot hold. */
export function xml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A URN that stays the same from build to build for the same `seed`. */
function urn(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Makes a path from the site's root into an absolute link (`siteHref`). */
export type Absolute = (path: string) => string;

/** The HTML of an entry's content, escaped once here and once more as the text of `<content type="html">`. */
function entryHtml(
  directory: Directory,
  text: Text,
  night: ChangesNight,
  latest: boolean,
  href: Absolute,
): string {
  const list = (lines: NightLine[]) =>
    `<ul>${lines
      .map(
        (line) =>
          `<li>${line.href ? `<a href="${xml(href(line.href))}">${xml(line.text)}</a>` : xml(line.text)}</li>`,
      )
      .join('')}</ul>`;
  if (night.previous_generated_at === null) return '';
  const parts = [
    `<p>${xml(
      [
        text.n('changes.totalCustomersAdded', night.totals.customers_added),
        text.n('changes.totalCustomersRemoved', night.totals.customers_removed),
      ].join(', '),
    )}</p>`,
  ];
  const lines = nightLines(directory, text, night, FEED_CUSTOMERS_PER_NIGHT);
  if (lines.length > 0) parts.push(`<p>${xml(text.t('feed.concerned'))}</p>`, list(lines));
  if (latest) parts.push(`<p><a href="${xml(href(CHANGES_PATH))}">${xml(text.t('feed.details'))}</a></p>`);
  return parts.join('');
}

/**
 * The Atom feed of the directory's nights, newest first. Its links are absolute through `absolute`
 * (`QWOTY_SITE_URL`); without it they stay relative, which many feed readers cannot follow, and the feed's
 * subtitle says that the site's address needs setting.
 */
export function atomFeed(directory: Directory, text: Text, absolute: Absolute | null = null): string {
  const href = absolute ?? ((path: string) => path);
  const { source } = directory.snapshot;
  const feedId = urn(`qwoty-contacts-directory changes ${source.host} ${source.customer_id ?? ''}`);
  const site = text.t('site.title');
  const updated = directory.nights[0]?.generated_at ?? directory.snapshot.generated_at;
  const entries = directory.nights.map((night, index) => {
    const title = nightTitle(text, night);
    return `<entry>
<id>${urn(`${feedId} ${night.generated_at}`)}</id>
<title>${xml(title)}</title>
<updated>${xml(night.generated_at)}</updated>
<link rel="alternate" type="text/html" href="${xml(href(`${CHANGES_PATH}#${nightId(night)}`))}"/>
<summary>${xml(title)}</summary>
<content type="html">${xml(entryHtml(directory, text, night, index === 0, href))}</content>
</entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${text.lang}">
<id>${feedId}</id>
<title>${xml(text.t('feed.title', { site }))}</title>
<subtitle>${xml(absolute ? text.t('feed.subtitle') : `${text.t('feed.subtitle')} ${text.t('feed.needsUrl')}`)}</subtitle>
<updated>${xml(updated)}</updated>
<author><name>${xml(site)}</name></author>
<link rel="self" type="application/atom+xml" href="${xml(href(FEED_PATH))}"/>
<link rel="alternate" type="text/html" href="${xml(href(CHANGES_PATH))}"/>
${entries.join('\n')}
</feed>
`;
}
