import { textFromData } from '../shared/text.ts';

/**
 * Filters on a customer page: the role and country selects hide the table rows that do not match, and the
 * choice lives in the URL (`?role=buyer&country=FR`) so a filtered page can be shared. Without JavaScript
 * the form stays hidden and every contact is shown. After each change the table dispatches
 * `CONTACTS_FILTERED`, for what depends on the rows shown (`contact-export.ts`).
 */

/** The event the contacts table dispatches once its rows are shown or hidden by a filter. */
export const CONTACTS_FILTERED = 'contacts-filtered';

export function startContactFilters(): void {
  const form = document.querySelector<HTMLFormElement>('form.contact-filters');
  if (!form) return;
  const role = form.querySelector<HTMLSelectElement>('select[name="role"]');
  const country = form.querySelector<HTMLSelectElement>('select[name="country"]');
  const status = form.querySelector<HTMLElement>('.filter-status');
  const table = document.querySelector<HTMLTableElement>('table.contacts');
  const text = textFromData(form);
  const rows = [...document.querySelectorAll<HTMLTableRowElement>('table.contacts tbody tr')];
  const params = new URL(location.href).searchParams;
  const pick = (select: HTMLSelectElement | null, value: string | null) => {
    if (select && value && [...select.options].some((option) => option.value === value)) select.value = value;
  };
  pick(role, params.get('role'));
  pick(country, params.get('country'));

  const apply = (updateUrl: boolean) => {
    const wantedRole = role?.value ?? '';
    const wantedCountry = country?.value ?? '';
    let shown = 0;
    for (const row of rows) {
      const ok =
        (!wantedRole || (row.dataset.roles ?? '').split(' ').includes(wantedRole)) &&
        (!wantedCountry || (row.dataset.countries ?? '').split(' ').includes(wantedCountry));
      row.hidden = !ok;
      if (ok) shown++;
    }
    if (status) {
      status.textContent =
        wantedRole || wantedCountry ? text.t('client.filter.showing', { shown, total: rows.length }) : '';
    }
    if (updateUrl) {
      const url = new URL(location.href);
      for (const [name, value] of [
        ['role', wantedRole],
        ['country', wantedCountry],
      ] as const) {
        if (value) url.searchParams.set(name, value);
        else url.searchParams.delete(name);
      }
      history.replaceState(null, '', url);
    }
    table?.dispatchEvent(new CustomEvent(CONTACTS_FILTERED, { bubbles: true }));
  };
  form.hidden = false;
  form.addEventListener('change', () => apply(true));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(true);
  });
  apply(false);
}
