/**
 * The buttons under the search results: "Download N results (CSV)" and "Copy N emails". Both take every
 * contact that matches, not only the results drawn, in the order they are listed. The emails come from the
 * search data already loaded; the CSV needs every column, so its code and the export chunks its contacts
 * are in load when it is asked for, and only then.
 */
import type { SearchFilters } from '../shared/search.ts';
import { contactAt, type SearchIndex, searchIndex } from '../shared/search-index.ts';
import { textFromData } from '../shared/text.ts';
import { copyEmails, downloadCsv, fileName, type MailRecipients, mailRecipients } from './export-actions.ts';

/** A search whose results are on the page. */
export interface ResultSet {
  index: SearchIndex;
  query: string;
  filters: SearchFilters;
  /** The words of the filters, for the file name: the role (in the site's language) and the country chosen. */
  filterNames: readonly string[];
  /** How many contacts match: what the buttons announce. */
  total: number;
}

/** Every match of `set`, as directory positions, in the order of the results list. */
export function allMatches(set: ResultSet): number[] {
  return searchIndex(set.index, set.query, set.filters, set.index.size).hits;
}

/** The distinct emails of every match of `set`, sorted by the rule of `mailto:` links. */
export function matchingEmails(set: ResultSet, positions = allMatches(set)): MailRecipients {
  return mailRecipients(positions.map((position) => contactAt(set.index, position).email));
}

/** How long typing must pause before the emails of a search are counted. */
const COUNT_AFTER_MS = 250;

/**
 * Runs `task` once typing has paused for `COUNT_AFTER_MS` and the page is idle (after the next paint where
 * `requestIdleCallback` is missing, as in Safari); returns what cancels it.
 */
function whenQuiet(task: () => void): () => void {
  let cancelIdle: () => void = () => undefined;
  const timer = setTimeout(() => {
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(task, { timeout: 1000 });
      cancelIdle = () => cancelIdleCallback(id);
    } else {
      const frame = requestAnimationFrame(() => setTimeout(task, 0));
      cancelIdle = () => cancelAnimationFrame(frame);
    }
  }, COUNT_AFTER_MS);
  return () => {
    clearTimeout(timer);
    cancelIdle();
  };
}

/**
 * Wires the buttons in `container` (`[data-action="csv"]`, `[data-action="emails"]`), announcing in `status`
 * in the words `container` carries (`data-text`). `exportUrl` is the export index. Returns what the search calls after drawing results (or clearing them).
 */
export function startResultExport(
  container: HTMLElement,
  status: HTMLElement,
  exportUrl: string,
): (set: ResultSet | null) => void {
  const csvButton = container.querySelector<HTMLButtonElement>('[data-action="csv"]');
  const emailsButton = container.querySelector<HTMLButtonElement>('[data-action="emails"]');
  if (!csvButton || !emailsButton) return () => undefined;
  const text = textFromData(container);
  let current: ResultSet | null = null;
  let cancelCount: () => void = () => undefined;

  csvButton.addEventListener('click', async () => {
    const set = current;
    if (!set) return;
    await downloadCsv({ button: csvButton, status, text }, set.total, async () => {
      const positions = allMatches(set);
      const { loadExportRows, resultCsv } = await import('./result-csv.ts');
      const rows = await loadExportRows(exportUrl, positions);
      const name = fileName(['contacts', set.query, ...set.filterNames], 'csv');
      return { name, parts: resultCsv(rows), rows: rows.length };
    });
  });

  emailsButton.addEventListener('click', () => {
    if (current) void copyEmails(matchingEmails(current), status, text);
  });

  return (set) => {
    current = set && set.total > 0 ? set : null;
    cancelCount();
    if (!current) {
      container.hidden = true;
      return;
    }
    csvButton.textContent = text.n('client.export.downloadResults', current.total);
    emailsButton.textContent = text.t('client.export.copyEmailsCounting');
    emailsButton.disabled = true;
    container.hidden = false;
    // Counting the emails scans every match again, as long as the search itself at 100,000 contacts: not
    // between a keystroke and its results, nor between two keystrokes, but once typing pauses.
    const counted = current;
    cancelCount = whenQuiet(() => {
      if (counted !== current) return;
      const emails = matchingEmails(counted).addresses.length;
      emailsButton.textContent = text.n('client.export.copyEmails', emails);
      emailsButton.disabled = false;
      emailsButton.hidden = emails === 0;
    });
  };
}
