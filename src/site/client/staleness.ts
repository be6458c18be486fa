/**
 * A notice when the snapshot the reader is looking at is older than the nightly build should allow: the site
 * only changes when a build succeeds, so a nightly that keeps failing (a revoked token, an API outage) would
 * otherwise go on showing old contacts as if they were current. Worked out in the browser, against the
 * reader's clock, because the page itself was built when it was fresh. Without JavaScript the snapshot's
 * date is still on the page.
 */
import { type Text, textFromData } from '../shared/text.ts';

/** "40 hours", "3 days": how old a snapshot is, in the unit a reader would use. */
export function formatAge(ms: number, text: Text): string {
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 48) return text.n('client.stale.hours', hours);
  return text.n('client.stale.days', Math.floor(hours / 24));
}

/** The notice for a snapshot taken at `generatedAt`, or null while it is recent enough (or the check is off). */
export function staleMessage(
  generatedAt: string,
  now: number,
  afterHours: number,
  text: Text,
): string | null {
  const taken = Date.parse(generatedAt);
  if (afterHours === 0 || Number.isNaN(taken)) return null;
  const age = now - taken;
  if (age <= afterHours * 3_600_000) return null;
  return text.t('client.stale.message', { age: formatAge(age, text) });
}

/** Fills and shows the page's `[data-stale-after-hours]` notice when the snapshot is out of date. */
export function showStaleness(now = Date.now()): void {
  const notice = document.querySelector<HTMLElement>('[data-stale-after-hours]');
  const generatedAt = notice?.dataset.generatedAt;
  if (!notice || !generatedAt) return;
  const message = staleMessage(
    generatedAt,
    now,
    Number(notice.dataset.staleAfterHours),
    textFromData(notice),
  );
  const text = notice.querySelector<HTMLElement>('.stale-text');
  if (!message || !text) return;
  text.textContent = message;
  notice.hidden = false;
}
