/**
 * The search box of the home page. The search files start to download as soon as the script runs, and are
 * read as they arrive, so that a query typed a second after the page opened answers as fast as the next ones
 * (at 100,000 contacts, loading and indexing on the first keystroke made it take over a second, and waiting
 * for the page to be idle first left some loads still reading when the query came); a reader who asked to
 * save data (`Save-Data`) gets them on first use instead (focus, hover, or a `?q=` in the URL), as does
 * anyone whose early load failed. They are indexed once, and every keystroke then scans the compact index in
 * memory; the contact ids for the links load by chunk, only for the results shown. Results are built with
 * `textContent` only: a value from the API is never read as markup.
 */
import { mailtoHref } from '../shared/format.ts';
import {
  decodeDial,
  type HeaderWords,
  headerWords,
  parseIdLines,
  type SearchContact,
  type SearchFilters,
  type SearchHeader,
  type SearchResult,
  searchCustomers,
} from '../shared/search.ts';
import {
  contactAt,
  digitsBuilder,
  indexBuilder,
  type SearchIndex,
  sampleIndex,
  searchIndex,
  vocabularyBuilder,
} from '../shared/search-index.ts';
import { siteUrl } from '../shared/site-url.ts';
import { type Text, textFromData } from '../shared/text.ts';
import { lineSlicesOf } from './response-lines.ts';
import { type ResultSet, startResultExport } from './result-export.ts';

interface Loaded {
  header: SearchHeader;
  /** The header's words, for matching customers. */
  known: HeaderWords;
  index: SearchIndex;
  /** Id files by number, fetched once each. */
  ids: Map<number, Promise<string[]>>;
}

/** Contacts worked on at a time in the background, between two looks at the clock. */
const STEP = 250;

/** Characters of the contacts file read between two yields to the page: a few milliseconds' work. */
const READ_SLICE = 128 * 1024;

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

/**
 * Yields to the page: a keystroke or a click waiting is handled now. `scheduler.yield()` where there is one,
 * else a message to itself: `setTimeout(0)` would wait 4 ms each time once nested, which over the slices of
 * a large directory added up to a good part of the reading time.
 */
function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/**
 * Yields to the page for background work: a task of the lowest priority (`scheduler.postTask`'s `background`)
 * where there is one, so that a query typed meanwhile is answered and painted before the next slice runs;
 * `scheduler.yield()`'s continuations went first, and kept the first query's frame waiting while the warm-up
 * went on. Elsewhere, as `yieldToPage`.
 */
function yieldToBackground(): Promise<void> {
  const scheduler = (
    globalThis as {
      scheduler?: { postTask?: (task: () => void, options: { priority: string }) => Promise<void> };
    }
  ).scheduler;
  if (typeof scheduler?.postTask === 'function') {
    return scheduler.postTask(() => undefined, { priority: 'background' });
  }
  return yieldToPage();
}

/** Most of the page's time one slice of background work may take before it yields, ms. */
const SLICE_MS = 4;

/** Runs `work` over `[0, count)` a few hundred items at a time, yielding to the page every `SLICE_MS`. */
async function inSlices(count: number, work: (start: number, end: number) => void): Promise<void> {
  let started = performance.now();
  for (let start = 0; start < count; start += STEP) {
    work(start, Math.min(count, start + STEP));
    if (performance.now() - started >= SLICE_MS) {
      await yieldToBackground();
      started = performance.now();
    }
  }
}

async function loadData(headerUrl: string, contactsUrl: string): Promise<Loaded> {
  // Marks for the benchmark (src/bench/first-query.ts): where the time to a ready search goes.
  performance.mark('search-data:start');
  const [headerResponse, contactsResponse] = await Promise.all([fetchOk(headerUrl), fetchOk(contactsUrl)]);
  const header: SearchHeader = await headerResponse.json();
  const known = headerWords(header);
  const builder = indexBuilder(header, known);
  // Read as the file arrives, so reading overlaps the download rather than following it, and in slices, so
  // that a keystroke or a click while a large directory is read is handled between two slices.
  for await (const lines of lineSlicesOf(contactsResponse, READ_SLICE)) {
    builder.add(lines);
    await yieldToPage();
  }
  const index = builder.finish();
  performance.mark('search-data:indexed');
  return { header, known, index, ids: new Map() };
}

/**
 * Work for when the page is idle once the data is read, in slices of background priority: the first id file
 * (most short queries show contacts from the start of the directory), the search code run on a sample,
 * results laid out unseen, the phone digits, then the words a typo is compared with. Marks (for
 * src/bench/first-query.ts) say when each part is done.
 */
async function warmUp(data: Loaded, view: SearchView): Promise<void> {
  void idsOf(data, [0], idBaseOf(view.form)).catch(() => undefined);
  const { index } = data;
  await warmSearch(index, view.limit);
  performance.mark('search-data:code');
  await warmLayout(data, view.results);
  performance.mark('search-data:layout');
  const digits = digitsBuilder(index);
  await inSlices(index.size, digits.add);
  digits.finish();
  const vocabulary = vocabularyBuilder(index);
  await inSlices(index.size, vocabulary.add);
  vocabulary.finish();
  performance.mark('search-data:warm');
}

/** Queries `warmSearch` runs: one and two words, a prefix, a number, a filter; none the reader typed. */
const WARM_QUERIES: ReadonlyArray<[string, SearchFilters]> = [
  ['a', { role: -1, country: -1 }],
  ['d', { role: -1, country: -1 }],
  ['ma', { role: 0, country: -1 }],
  ['e s', { role: -1, country: 0 }],
  ['4', { role: -1, country: -1 }],
];

/** Rounds of `WARM_QUERIES`, one a slice: enough calls for the browser to compile the search's loops. */
const WARM_ROUNDS = 24;

/**
 * Runs the search code, results unused, over the first few hundred contacts (`sampleIndex`) many times,
 * so that the first query typed runs compiled code. One search over every contact, run once, left the first
 * query several times slower than the next ones, and took longer than all these small ones.
 */
async function warmSearch(index: SearchIndex, limit: number): Promise<void> {
  const sample = sampleIndex(index, 200);
  for (let round = 0; round < WARM_ROUNDS; round++) {
    for (const [query, filters] of WARM_QUERIES) {
      searchIndex(sample, query, filters, limit);
      searchCustomers(sample.known, query, CUSTOMER_LIMIT);
    }
    await yieldToBackground();
  }
}

/** Contacts laid out at a time by `warmLayout`, between two yields. */
const LAYOUT_STEP = 8;

/**
 * The contacts, among the first ones of the directory, whose lines hold a character none before them had:
 * together they write every script the directory's first few thousand contacts are written in.
 */
function scriptSamples(index: SearchIndex, scan = 2000, most = 48): number[] {
  const seen = new Set<number>();
  const found: number[] = [];
  const { raw, rawStarts } = index;
  for (let i = 0; i < Math.min(index.size, scan) && found.length < most; i++) {
    let fresh = false;
    for (let at = rawStarts[i] ?? 0; at < (rawStarts[i + 1] ?? 0); at++) {
      const code = raw.charCodeAt(at);
      if (code < 128 || seen.has(code)) continue;
      seen.add(code);
      fresh = true;
    }
    if (fresh) found.push(i);
  }
  return found;
}

/**
 * Lays out, unseen, results written in every script of the directory's first contacts, with the results'
 * own elements and styles, then takes them away. The first results drawn after the page opened spent more time in
 * layout than in the search: each script's fallback font (CJK, Arabic, Cyrillic, Greek) was found and read
 * then, on the reader's keystroke. Done now, a few contacts at a time, it also runs the drawing code once.
 */
async function warmLayout(data: Loaded, results: HTMLElement): Promise<void> {
  // The rows' styles (`results`), but not `contact-results`, which skips laying out a row off screen.
  const list = element('ol', undefined, 'results');
  list.setAttribute('aria-hidden', 'true');
  list.inert = true;
  // Set through the style object: the page's CSP forbids style attributes, not this.
  Object.assign(list.style, { position: 'absolute', visibility: 'hidden', insetInlineStart: '-200vw' });
  results.after(list);
  try {
    const samples = scriptSamples(data.index);
    const noIds = new Map<number, string>();
    for (let start = 0; start < samples.length; start += LAYOUT_STEP) {
      list.replaceChildren(
        ...samples.slice(start, start + LAYOUT_STEP).map((hit) => contactItem(data, hit, noIds)),
      );
      // Reading a size makes the browser lay the list out now.
      void list.offsetHeight;
      await yieldToBackground();
    }
  } finally {
    list.remove();
  }
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

/** The elements and settings of the search form, found once. */
interface SearchView {
  form: HTMLFormElement;
  input: HTMLInputElement;
  status: HTMLElement;
  results: HTMLOListElement;
  customerResults: HTMLUListElement | null;
  roleSelect: HTMLSelectElement | null;
  countrySelect: HTMLSelectElement | null;
  /** Results drawn at most. */
  limit: number;
  text: Text;
  /** What the export buttons are told after each search (`startResultExport`). */
  showExport: (set: ResultSet | null) => void;
}

function findView(): SearchView | null {
  const form = document.querySelector<HTMLFormElement>('#search-form');
  const input = document.querySelector<HTMLInputElement>('#q');
  const status = document.querySelector<HTMLElement>('#search-status');
  const results = document.querySelector<HTMLOListElement>('#search-results');
  if (!form || !input || !status || !results) return null;
  const exportPanel = document.querySelector<HTMLElement>('#result-export');
  return {
    form,
    input,
    status,
    results,
    customerResults: document.querySelector<HTMLUListElement>('#search-customers'),
    roleSelect: form.querySelector<HTMLSelectElement>('#role'),
    countrySelect: form.querySelector<HTMLSelectElement>('#country'),
    limit: Number(form.dataset.limit) || 50,
    text: textFromData(form),
    showExport: exportPanel
      ? startResultExport(exportPanel, status, form.dataset.export ?? '')
      : () => undefined,
  };
}

/**
 * What loads the search data once and gives it to every caller; a failed load is tried again on the next
 * call (focus, keystroke). Marks the form `data-loaded` once the data is read: the tests and the benchmark
 * wait on it.
 */
interface DataLoader {
  load: () => Promise<Loaded>;
  /** Whether a load is under way or done (not failed). */
  started: () => boolean;
}

function dataLoader(view: SearchView): DataLoader {
  const { form } = view;
  let loading: Promise<Loaded> | undefined;
  const load = () => {
    if (!loading) {
      const started = loadData(form.dataset.header ?? '', form.dataset.contacts ?? '');
      started.then(
        (data) => {
          form.dataset.loaded = 'true';
          // Worked out now, in slices a keystroke goes between, rather than on the first query, number or
          // typo: waiting for the page to be idle left it undone when a query came a second after load.
          void warmUp(data, view);
        },
        () => {
          if (loading === started) loading = undefined;
        },
      );
      loading = started;
    }
    return loading;
  };
  return { load, started: () => loading !== undefined };
}

/** Where the id files are: beside the contacts file. */
function idBaseOf(form: HTMLFormElement): string {
  const contactsUrl = form.dataset.contacts ?? '';
  return contactsUrl.slice(0, contactsUrl.lastIndexOf('/') + 1);
}

/** The filters' selects with their names in the URL. */
function selectsOf(view: SearchView): Array<[HTMLSelectElement | null, string]> {
  return [
    [view.roleSelect, 'role'],
    [view.countrySelect, 'country'],
  ];
}

/** Puts the query and filters of the URL (`?q=…&role=…&country=…`) in the form. */
function restoreFromUrl(view: SearchView): void {
  const params = new URL(location.href).searchParams;
  view.input.value = params.get('q') ?? '';
  for (const [select, name] of selectsOf(view)) {
    const value = params.get(name);
    if (select && value && [...select.options].some((option) => option.value === value)) select.value = value;
  }
}

/** What writes the form's query and filters in the URL, once typing pauses. */
function urlUpdater(view: SearchView): () => void {
  let urlTimer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      const url = new URL(location.href);
      const values: Array<[string, string]> = [
        ['q', view.input.value.trim()],
        ...selectsOf(view).map(([select, name]): [string, string] => [name, select?.value ?? '']),
      ];
      for (const [name, value] of values) {
        if (value) url.searchParams.set(name, value);
        else url.searchParams.delete(name);
      }
      history.replaceState(null, '', url);
    }, 200);
  };
}

function filtersOf(view: SearchView, data: Loaded): SearchFilters {
  const role = view.roleSelect?.value ?? '';
  const country = view.countrySelect?.value ?? '';
  return {
    role: role ? data.header.roles.indexOf(role) : -1,
    country: country ? data.header.countries.indexOf(country) : -1,
  };
}

/** One contact found: its name linked to its row on its customer's page, its customer, its details. */
function contactItem(data: Loaded, hit: number, ids: Map<number, string>): HTMLLIElement {
  const contact = hit < data.index.size ? contactAt(data.index, hit) : undefined;
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
}

/** The customers matching `query`, above the contacts; returns how many match. */
function renderCustomers(view: SearchView, data: Loaded, query: string): number {
  const customers = searchCustomers(data.known, query, CUSTOMER_LIMIT);
  if (view.customerResults) {
    view.customerResults.replaceChildren(
      ...customers.hits.map((hit) => customerItem(data.header, hit, view.text)),
    );
    view.customerResults.hidden = customers.hits.length === 0;
  }
  return customers.total;
}

/** The sentence that says what was found: customers first, as they are listed ("2 customers match. 14 contacts match."). */
function statusText(view: SearchView, query: string, found: SearchResult, customers: number): string {
  const { text } = view;
  const customerCount = customers > 0 ? `${text.n('client.search.customers', customers)} ` : '';
  const searched = query.trim() || view.roleSelect?.value || view.countrySelect?.value;
  if (!searched) return '';
  if (found.total === 0) return `${customerCount}${text.t('client.search.none')}`;
  const count =
    found.total > found.hits.length
      ? text.t('client.search.more', { count: found.total, shown: found.hits.length })
      : text.n('client.search.some', found.total);
  // Typos forgiven: said first, so a reader knows these are not what was typed.
  return found.fuzzy
    ? `${customerCount}${text.t('client.search.closest', { query: query.trim() })} ${count}`
    : `${customerCount}${count}`;
}

function render(
  view: SearchView,
  data: Loaded,
  query: string,
  filters: SearchFilters,
  found: SearchResult,
  ids: Map<number, string>,
): void {
  view.results.replaceChildren(...found.hits.map((hit) => contactItem(data, hit, ids)));
  showFacetCounts(view.roleSelect, data.header.roles, found.facets.roles, view.text);
  showFacetCounts(view.countrySelect, data.header.countries, found.facets.countries, view.text);
  view.status.textContent = statusText(view, query, found, renderCustomers(view, data, query));
  view.showExport({
    index: data.index,
    query,
    filters,
    // The role as the reader reads it ("acheteur" on a French site), as the file's name says it.
    filterNames: [
      data.header.roleLabels[filters.role] ?? view.roleSelect?.value ?? '',
      view.countrySelect?.value ?? '',
    ],
    total: found.total,
  });
  // Set before `query`, which the tests and the benchmark wait on.
  view.results.dataset.fuzzy = String(found.fuzzy);
  view.results.dataset.query = query;
}

/** Empties the results when nothing is searched, and puts back the directory's totals on the filters. */
function clearResults(view: SearchView, query: string): void {
  view.results.replaceChildren();
  view.customerResults?.replaceChildren();
  if (view.customerResults) view.customerResults.hidden = true;
  showFacetTotals(view.roleSelect);
  showFacetTotals(view.countrySelect);
  view.status.textContent = '';
  view.showExport(null);
  view.results.dataset.query = query;
}

/** What searches for what the form holds and draws the results; a newer search makes an older one stop. */
function searchRunner(view: SearchView, loader: DataLoader) {
  const updateUrl = urlUpdater(view);
  const idBase = idBaseOf(view.form);
  let generation = 0;
  return async () => {
    const current = ++generation;
    const query = view.input.value;
    updateUrl();
    if (!query.trim() && !view.roleSelect?.value && !view.countrySelect?.value) {
      clearResults(view, query);
      return;
    }
    let data: Loaded;
    try {
      if (!loader.started()) view.status.textContent = view.text.t('client.search.loading');
      data = await loader.load();
    } catch (error) {
      view.status.textContent = view.text.t('client.search.failed', { reason: reasonOf(error) });
      return;
    }
    if (current !== generation) return;
    const filters = filtersOf(view, data);
    // Marks of where a keystroke's time goes (search, then drawing), for a trace of the first query.
    performance.mark('search:start');
    const found = searchIndex(data.index, query, filters, view.limit);
    performance.mark('search:found');
    let ids: Map<number, string>;
    try {
      ids = await idsOf(data, found.hits, idBase);
    } catch (error) {
      view.status.textContent = view.text.t('client.search.idsFailed', { reason: reasonOf(error) });
      return;
    }
    if (current !== generation) return;
    render(view, data, query, filters, found, ids);
    performance.mark('search:rendered');
  };
}

export function startSearch(): void {
  const view = findView();
  if (!view) return;
  const { form, input } = view;
  const foldFilters = startFilterToggle(form, [view.roleSelect, view.countrySelect], view.text);
  const loader = dataLoader(view);
  const run = searchRunner(view, loader);
  restoreFromUrl(view);
  foldFilters();
  const preload = () => void loader.load().catch(() => undefined);
  input.addEventListener('focus', preload, { once: true });
  form.addEventListener('pointerenter', preload, { once: true });
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
  if (input.value.trim() || view.roleSelect?.value || view.countrySelect?.value) void run();
  else if (!savesData()) preload();
}

/** Whether the reader asked to save data: the search data then loads on first use, not on every visit. */
function savesData(): boolean {
  const connection = (navigator as Navigator & { connection?: { saveData?: boolean } }).connection;
  return connection?.saveData === true;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
