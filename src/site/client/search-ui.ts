/**
 * The search box of the home page. The search files load once the page is idle, so that the first query
 * answers as fast as the next ones (at 100,000 contacts, loading and indexing on the first keystroke made it
 * take over a second); a reader who asked to save data (`Save-Data`) gets them on first use instead (focus,
 * hover, or a `?q=` in the URL), as does anyone whose early load failed. They are indexed once, and every
 * keystroke then scans the compact index in memory; the contact ids for the links load by chunk, only for
 * the results shown. Results are built with `textContent` only: a value from the API is never read as markup.
 */
import { mailtoHref } from '../shared/format.ts';
import {
  decodeDial,
  type HeaderWords,
  headerWords,
  type IndexedContact,
  indexContact,
  parseContactLine,
  parseIdLines,
  type SearchContact,
  type SearchFilters,
  type SearchHeader,
  type SearchResult,
  search,
  searchCustomers,
  vocabularyOf,
} from '../shared/search.ts';
import { siteUrl } from '../shared/site-url.ts';
import { type Text, textFromData } from '../shared/text.ts';
import { startResultExport } from './result-export.ts';

interface Loaded {
  header: SearchHeader;
  /** The header's words, for matching customers. */
  known: HeaderWords;
  contacts: SearchContact[];
  index: IndexedContact[];
  /** Id files by number, fetched once each. */
  ids: Map<number, Promise<string[]>>;
}

/** Contacts read and indexed between two yields to the page: a few tens of milliseconds' work. */
const SLICE = 10_000;

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

async function loadData(headerUrl: string, contactsUrl: string): Promise<Loaded> {
  // Marks for the benchmark (src/bench/first-query.ts): where the time to a ready search goes.
  performance.mark('search-data:start');
  const [headerResponse, contactsResponse] = await Promise.all([fetchOk(headerUrl), fetchOk(contactsUrl)]);
  const header: SearchHeader = await headerResponse.json();
  const lines = (await contactsResponse.text()).split('\n');
  performance.mark('search-data:fetched');
  if (lines.at(-1) === '') lines.pop();
  const known = headerWords(header);
  const contacts: SearchContact[] = new Array(lines.length);
  const index: IndexedContact[] = new Array(lines.length);
  // Read and index in slices, so that a keystroke or a click while a large directory is prepared is
  // handled between two slices rather than after the whole of it.
  for (let start = 0; start < lines.length; start += SLICE) {
    const end = Math.min(lines.length, start + SLICE);
    for (let i = start; i < end; i++) {
      const contact = parseContactLine(lines[i] ?? '');
      contacts[i] = contact;
      index[i] = indexContact(contact, header, known);
    }
    if (end < lines.length) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  performance.mark('search-data:indexed');
  return { header, known, contacts, index, ids: new Map() };
}

/** The ids of the contacts `hits`, fetching the id files they need (once each). */
async function idsOf(data: Loaded, hits: readonly number[], base: string): Promise<Map<number, string>> {
  const { per, files } = data.header.ids;
  const chunks = [...new Set(hits.map((hit) => Math.floor(hit / per)))];
  const loaded = await Promise.all(
    chunks.map((chunk) => {
      let ids = data.ids.get(chunk);
      if (!ids) {
        ids = fetchOk(`${base}${files[chunk] ?? ''}`)
          .then((response) => response.text())
          .then(parseIdLines);
        ids.catch(() => data.ids.delete(chunk));
        data.ids.set(chunk, ids);
      }
      return ids;
    }),
  );
  const byChunk = new Map(chunks.map((chunk, index) => [chunk, loaded[index] ?? []]));
  return new Map(hits.map((hit) => [hit, byChunk.get(Math.floor(hit / per))?.[hit % per] ?? '']));
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/**
 * The button that folds the filters on a phone (the style sheet shows it below 600 px once the form has
 * `search-folds`): it opens and closes them, and says how many are set ("Filters (2)"). Returns what updates
 * that count.
 */
function startFilterToggle(
  form: HTMLFormElement,
  selects: readonly (HTMLSelectElement | null)[],
  text: Text,
): () => void {
  const toggle = form.querySelector<HTMLButtonElement>('#filters-toggle');
  const filters = form.querySelector<HTMLElement>('#search-filters');
  if (!toggle || !filters) return () => undefined;
  const label = () => {
    const set = selects.filter((select) => select?.value).length;
    toggle.textContent = set
      ? text.t('client.search.filtersCount', { count: set })
      : text.t('client.search.filters');
  };
  toggle.addEventListener('click', () => {
    const open = filters.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  form.classList.add('search-folds');
  label();
  return label;
}

/**
 * Writes on each choice of `select` how many of the current matches it would keep ("buyer (12)"), from
 * `counts` by index into `values`; a choice that keeps none says 0 and stays usable. The build wrote the
 * directory's totals, which the first search replaces.
 */
function showFacetCounts(
  select: HTMLSelectElement | null,
  values: readonly string[],
  counts: readonly number[],
  text: Text,
): void {
  if (!select) return;
  for (const option of select.options) {
    if (!option.value) continue;
    option.dataset.total ??= option.textContent?.trim() ?? '';
    const count = counts[values.indexOf(option.value)] ?? 0;
    option.textContent = text.t('client.search.option', {
      value: option.dataset.label ?? option.value,
      count,
    });
  }
}

/** Puts back the directory's totals on the choices of `select`, once nothing is searched. */
function showFacetTotals(select: HTMLSelectElement | null): void {
  for (const option of select?.options ?? []) {
    if (option.dataset.total !== undefined) option.textContent = option.dataset.total;
  }
}

/** Customers listed above the contacts of a search, at most. */
const CUSTOMER_LIMIT = 5;

/** A matching customer: its name linked to its page, its type and its number of contacts. */
function customerItem(header: SearchHeader, hit: number, text: Text): HTMLLIElement {
  const customer = header.customers[hit];
  const item = element('li');
  if (!customer) return item;
  const link = element('a', undefined, 'result-name');
  link.append(element('bdi', customer.name));
  link.href = `/customers/${customer.id}/`;
  const facts = [
    customer.type ?? '',
    customer.contacts === undefined ? '' : text.n('client.search.customerContacts', customer.contacts),
  ];
  item.append(link, element('span', facts.filter(Boolean).join(' · '), 'result-details'));
  return item;
}

/**
 * A result's email, phone and roles, joined by " · ": the email and the phone as links a tap opens, the phone
 * as the RFC 3966 link of the number read at publish; a phone that could not be read is shown as sent,
 * without a link. Empty fields are left out.
 */
function resultDetails(contact: SearchContact, header: SearchHeader): HTMLElement {
  const details = element('span', undefined, 'result-details');
  const parts: Node[] = [];
  const email = contact.email.trim();
  if (email) {
    const href = mailtoHref(email);
    const link = href ? element('a', email, 'result-email') : element('span', email);
    if (link instanceof HTMLAnchorElement && href) link.href = href;
    parts.push(link);
  }
  if (contact.phone.trim()) {
    const dial = decodeDial(contact.phone, contact.dial);
    const phone = dial ? element('a', contact.phone, 'result-phone') : element('span', contact.phone);
    if (dial && phone instanceof HTMLAnchorElement) phone.href = dial.uri;
    parts.push(phone);
  }
  const roles = contact.roles
    .map((index) => header.roleLabels[index] ?? header.roles[index] ?? '')
    .join(', ');
  if (roles) parts.push(document.createTextNode(roles));
  parts.forEach((part, index) => {
    if (index > 0) details.append(' · ');
    details.append(part);
  });
  return details;
}

export function startSearch(): void {
  const form = document.querySelector<HTMLFormElement>('#search-form');
  const input = document.querySelector<HTMLInputElement>('#q');
  const status = document.querySelector<HTMLElement>('#search-status');
  const results = document.querySelector<HTMLOListElement>('#search-results');
  const customerResults = document.querySelector<HTMLUListElement>('#search-customers');
  if (!form || !input || !status || !results) return;
  const roleSelect = form.querySelector<HTMLSelectElement>('#role');
  const countrySelect = form.querySelector<HTMLSelectElement>('#country');
  const limit = Number(form.dataset.limit) || 50;
  const text = textFromData(form);
  const foldFilters = startFilterToggle(form, [roleSelect, countrySelect], text);

  let loading: Promise<Loaded> | undefined;
  const load = () => {
    if (!loading) {
      const started = loadData(form.dataset.header ?? '', form.dataset.contacts ?? '');
      // A failed load is tried again on the next focus or keystroke.
      started.then(
        (data) => {
          // Marks the data as indexed: the tests and the benchmark wait on it.
          form.dataset.loaded = 'true';
          // The words a typo is compared with, worked out while nobody types rather than on the first typo.
          whenIdle(() => vocabularyOf(data.contacts, data.index));
        },
        () => {
          if (loading === started) loading = undefined;
        },
      );
      loading = started;
    }
    return loading;
  };

  const params = new URL(location.href).searchParams;
  input.value = params.get('q') ?? '';
  for (const [select, name] of [
    [roleSelect, 'role'],
    [countrySelect, 'country'],
  ] as const) {
    const value = params.get(name);
    if (select && value && [...select.options].some((option) => option.value === value)) select.value = value;
  }
  foldFilters();

  let urlTimer: ReturnType<typeof setTimeout> | undefined;
  const updateUrl = () => {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      const url = new URL(location.href);
      for (const [name, value] of [
        ['q', input.value.trim()],
        ['role', roleSelect?.value ?? ''],
        ['country', countrySelect?.value ?? ''],
      ] as const) {
        if (value) url.searchParams.set(name, value);
        else url.searchParams.delete(name);
      }
      history.replaceState(null, '', url);
    }, 200);
  };

  const contactsUrl = form.dataset.contacts ?? '';
  const idBase = contactsUrl.slice(0, contactsUrl.lastIndexOf('/') + 1);
  const exportPanel = document.querySelector<HTMLElement>('#result-export');
  const showExport = exportPanel
    ? startResultExport(exportPanel, status, form.dataset.export ?? '')
    : () => undefined;

  const filtersOf = (data: Loaded): SearchFilters => {
    const role = roleSelect?.value ?? '';
    const country = countrySelect?.value ?? '';
    return {
      role: role ? data.header.roles.indexOf(role) : -1,
      country: country ? data.header.countries.indexOf(country) : -1,
    };
  };

  const render = (
    data: Loaded,
    query: string,
    filters: SearchFilters,
    found: SearchResult,
    ids: Map<number, string>,
  ) => {
    const role = roleSelect?.value ?? '';
    const country = countrySelect?.value ?? '';
    const items = found.hits.map((hit) => {
      const contact = data.contacts[hit];
      const customer = contact ? data.header.customers[contact.customer] : undefined;
      const item = element('li');
      if (!contact || !customer) return item;
      const base = siteUrl(`/customers/${customer.id}/`);
      const name = element('a', undefined, 'result-name');
      name.append(element('bdi', contact.name));
      name.href = `${base}#contact-${ids.get(hit) ?? ''}`;
      const at = element('span', '', 'result-customer');
      const customerLink = element('a');
      customerLink.append(element('bdi', customer.name));
      customerLink.href = base;
      at.append(customerLink);
      item.append(name, at, resultDetails(contact, data.header));
      return item;
    });
    results.replaceChildren(...items);
    showFacetCounts(roleSelect, data.header.roles, found.facets.roles, text);
    showFacetCounts(countrySelect, data.header.countries, found.facets.countries, text);
    const customers = searchCustomers(data.known, query, CUSTOMER_LIMIT);
    if (customerResults) {
      customerResults.replaceChildren(...customers.hits.map((hit) => customerItem(data.header, hit, text)));
      customerResults.hidden = customers.hits.length === 0;
    }
    // Customers first, as they are listed: "2 customers match. 14 contacts match."
    const customerCount = customers.total > 0 ? `${text.n('client.search.customers', customers.total)} ` : '';
    const searched = query.trim() || role || country;
    if (!searched) status.textContent = '';
    else if (found.total === 0) status.textContent = `${customerCount}${text.t('client.search.none')}`;
    else {
      const count =
        found.total > found.hits.length
          ? text.t('client.search.more', { count: found.total, shown: found.hits.length })
          : text.n('client.search.some', found.total);
      // Typos forgiven: said first, so a reader knows these are not what was typed.
      status.textContent = found.fuzzy
        ? `${customerCount}${text.t('client.search.closest', { query: query.trim() })} ${count}`
        : `${customerCount}${count}`;
    }
    showExport({
      contacts: data.contacts,
      index: data.index,
      query,
      filters,
      // The role as the reader reads it ("acheteur" on a French site), as the file's name says it.
      filterNames: [data.header.roleLabels[filters.role] ?? role, country],
      total: found.total,
    });
    // Set before `query`, which the tests and the benchmark wait on.
    results.dataset.fuzzy = String(found.fuzzy);
    results.dataset.query = query;
  };

  let generation = 0;
  const run = async () => {
    const current = ++generation;
    const query = input.value;
    updateUrl();
    if (!query.trim() && !roleSelect?.value && !countrySelect?.value) {
      results.replaceChildren();
      customerResults?.replaceChildren();
      if (customerResults) customerResults.hidden = true;
      showFacetTotals(roleSelect);
      showFacetTotals(countrySelect);
      status.textContent = '';
      showExport(null);
      results.dataset.query = query;
      return;
    }
    let data: Loaded;
    try {
      if (!loading) status.textContent = text.t('client.search.loading');
      data = await load();
    } catch (error) {
      status.textContent = text.t('client.search.failed', { reason: reasonOf(error) });
      return;
    }
    if (current !== generation) return;
    const filters = filtersOf(data);
    const found = search(data.contacts, data.index, query, filters, limit);
    let ids: Map<number, string>;
    try {
      ids = await idsOf(data, found.hits, idBase);
    } catch (error) {
      status.textContent = text.t('client.search.idsFailed', { reason: reasonOf(error) });
      return;
    }
    if (current === generation) render(data, query, filters, found, ids);
  };

  input.addEventListener('focus', () => void load().catch(() => undefined), { once: true });
  form.addEventListener('pointerenter', () => void load().catch(() => undefined), { once: true });
  input.addEventListener('input', () => void run());
  form.addEventListener('change', (event) => {
    foldFilters();
    if (event.target !== input) void run();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  form.dataset.ready = 'true';
  if (input.value.trim() || roleSelect?.value || countrySelect?.value) void run();
  else preloadWhenIdle(() => void load().catch(() => undefined));
}

/**
 * Runs `preload` once the page is idle, unless the reader asked to save data. `requestIdleCallback` waits for
 * the page's own work; its timeout bounds the wait on a busy page, and browsers without it get a short delay.
 */
function preloadWhenIdle(preload: () => void): void {
  const connection = (navigator as Navigator & { connection?: { saveData?: boolean } }).connection;
  if (connection?.saveData) return;
  whenIdle(preload);
}

function whenIdle(work: () => void): void {
  if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(work, { timeout: 2000 });
  else setTimeout(work, 200);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
