/**
 * What a customer page lets a reader take along: one contact's vCard from its row ("Save contact"), and for
 * the rows shown, their CSV ("Download the N contacts shown", once a filter hides some) and their emails
 * ("Copy N emails"). Without JavaScript the "Save contact" links give the customer's whole `.vcf` file and
 * the buttons stay hidden.
 *
 * The CSV of the rows shown is taken from the customer's own `contacts.csv`, record by record: the same bytes
 * the build wrote, with the same columns and formula safety, and nothing to compute here.
 */
import { splitCsvRecords } from '../shared/csv-records.ts';
import { textFromData } from '../shared/text.ts';
import { formatVcard, VCARD_MEDIA_TYPE, type VcardContact } from '../shared/vcard.ts';
import { CONTACTS_FILTERED } from './contact-filters.ts';
import { copyEmails, downloadCsv, fileName, mailRecipients, saveFile } from './export-actions.ts';

/** The card a row's "Save contact" link carries, as the customer's `.vcf` file has it. */
function cardOf(row: HTMLTableRowElement): VcardContact | null {
  const data = row.querySelector<HTMLAnchorElement>('a.save-contact')?.dataset.card;
  if (!data) return null;
  const card: VcardContact = JSON.parse(data);
  return card;
}

/** The contact id of a row (`contact-<id>`). */
function contactIdOf(row: HTMLTableRowElement): string {
  return row.id.replace(/^contact-/, '');
}

/** The CSV text as written, byte order mark included (`Response.text()` would drop it). */
async function fetchCsv(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
}

export function startContactExport(): void {
  const panel = document.querySelector<HTMLElement>('.contact-export');
  const status = document.querySelector<HTMLElement>('.export-status');
  const table = document.querySelector<HTMLTableElement>('table.contacts');
  const csvButton = panel?.querySelector<HTMLButtonElement>('[data-action="csv"]');
  const emailsButton = panel?.querySelector<HTMLButtonElement>('[data-action="emails"]');
  if (!panel || !status || !table || !csvButton || !emailsButton) return;
  const text = textFromData(panel);
  const rows = [...(table.tBodies[0]?.rows ?? [])];
  const cards = new Map(rows.map((row) => [row, cardOf(row)]));
  const shown = () => rows.filter((row) => !row.hidden);
  const emailsOf = (visible: readonly HTMLTableRowElement[]) =>
    mailRecipients(visible.map((row) => cards.get(row)?.email));

  table.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a.save-contact') : null;
    const row = link?.closest('tr');
    const card = row ? cards.get(row) : null;
    if (!card) return;
    event.preventDefault();
    saveFile(fileName([card.name], 'vcf', 'contact'), [formatVcard(card)], VCARD_MEDIA_TYPE);
  });

  const update = () => {
    const visible = shown();
    csvButton.textContent = text.n('client.export.downloadShown', visible.length);
    // Unfiltered, the link beside the heading already gives every contact.
    csvButton.hidden = visible.length === 0 || visible.length === rows.length;
    const emails = emailsOf(visible).addresses.length;
    emailsButton.textContent = text.n('client.export.copyEmails', emails);
    emailsButton.hidden = emails === 0;
    panel.hidden = csvButton.hidden && emailsButton.hidden;
  };

  csvButton.addEventListener('click', async () => {
    const visible = shown();
    await downloadCsv({ button: csvButton, status, text }, visible.length, async () => {
      const records = splitCsvRecords(await fetchCsv(panel.dataset.csv ?? ''));
      const picked = visible.map((row) => {
        const record = records[rows.indexOf(row) + 1];
        // The file and the page are built from the same contacts in the same order; say so if they are not.
        if (records.length !== rows.length + 1 || !record?.includes(contactIdOf(row))) {
          throw new Error(text.t('client.export.mismatch'));
        }
        return record;
      });
      // The filters as the reader reads them ("acheteur" on a French site), as the file's name says them.
      const filters = [...document.querySelectorAll<HTMLSelectElement>('form.contact-filters select')].map(
        (select) => (select.value ? (select.selectedOptions[0]?.text ?? select.value) : ''),
      );
      const name = fileName(['contacts', panel.dataset.customer ?? '', ...filters], 'csv');
      return { name, parts: [records[0] ?? '', ...picked], rows: picked.length };
    });
  });

  emailsButton.addEventListener('click', () => copyEmails(emailsOf(shown()), status, text));

  document.addEventListener(CONTACTS_FILTERED, update);
  update();
}
