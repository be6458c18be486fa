/**
 * Builds the search files the browser loads on demand: a JSON header (facets, customers, the id files),
 * one line of text per contact in directory order, and the contact ids in chunks that load only for the
 * results shown. Names carry a content hash, so they can be cached for ever and a new snapshot is never
 * mixed with an old one.
 */
import { createHash } from 'node:crypto';
import { encodeDial, formatContactLine, formatIdLines, type SearchHeader } from '../shared/search.ts';
import type { Text } from '../shared/text.ts';
import type { Directory } from './directory.ts';
import { contactCountries, contactName } from './directory.ts';

/** Contact ids per id file: about 35 kB compressed, and the results of a query usually need one or two. */
export const IDS_PER_FILE = 2048;

export interface SearchFile {
  /** File name under `/search/`, with its content hash. */
  name: string;
  body: string;
}

export interface SearchFiles {
  header: SearchFile;
  contacts: SearchFile;
  ids: SearchFile[];
  /** Every file, for the route that writes them. */
  all: SearchFile[];
}

const cache = new WeakMap<Directory, SearchFiles>();

/** A file named by its stem and the hash of its body: `header.<hash>.json`. */
export function named(stem: string, extension: string, body: string): SearchFile {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${stem}.${hash}.${extension}`, body };
}

/** The search files of a directory, built once; `text` gives the role labels in the site's language. */
export function getSearchFiles(directory: Directory, text: Text): SearchFiles {
  const cached = cache.get(directory);
  if (cached) return cached;
  const roles = directory.roles.map((facet) => facet.value);
  const countries = directory.countries.map((facet) => facet.value);
  const roleIndex = new Map(roles.map((role, index) => [role, index]));
  const countryIndex = new Map(countries.map((country, index) => [country, index]));
  const lines: string[] = [];
  const contactIds: string[] = [];
  directory.customers.forEach((entry, customer) => {
    for (const contact of entry.contacts) {
      contactIds.push(contact.id);
      lines.push(
        formatContactLine({
          customer,
          name: contactName(contact),
          email: contact.email ?? '',
          phone: contact.phone ?? '',
          roles: [...new Set(contact.role)]
            .map((role) => roleIndex.get(role) ?? -1)
            .filter((index) => index >= 0),
          countries: contactCountries(contact, entry.customer)
            .map((country) => countryIndex.get(country) ?? -1)
            .filter((index) => index >= 0),
          dial: contact.phone && contact.phone_parsed ? encodeDial(contact.phone, contact.phone_parsed) : '',
        }),
      );
    }
  });
  const ids: SearchFile[] = [];
  for (let start = 0; start < contactIds.length; start += IDS_PER_FILE) {
    ids.push(named(`ids-${ids.length}`, 'txt', formatIdLines(contactIds.slice(start, start + IDS_PER_FILE))));
  }
  const header: SearchHeader = {
    roles,
    roleLabels: roles.map((role) => text.value('role', role)),
    countries,
    customers: directory.customers.map((entry) => ({
      id: entry.customer.id,
      name: entry.name,
      type: entry.customer.type ? text.value('customerType', entry.customer.type) : '',
      contacts: entry.contacts.length,
    })),
    ids: { per: IDS_PER_FILE, files: ids.map((file) => file.name) },
  };
  const headerFile = named('header', 'json', JSON.stringify(header));
  const contactsFile = named('contacts', 'txt', `${lines.join('\n')}\n`);
  const files = { header: headerFile, contacts: contactsFile, ids, all: [headerFile, contactsFile, ...ids] };
  cache.set(directory, files);
  return files;
}
