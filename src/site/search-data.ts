/**
 * Builds the two search files the browser loads on demand: a small JSON header (facets and customers) and
 * one line of text per contact in directory order. Names carry a content hash, so they can be cached for
 * ever and a new snapshot is never mixed with an old one.
 */
import { createHash } from 'node:crypto';
import type { Directory } from './directory.ts';
import { contactCountries, contactName } from './directory.ts';
import { formatContactLine, type SearchHeader } from './search.ts';

export interface SearchFile {
  /** File name under `/search/`, with its content hash. */
  name: string;
  body: string;
}

export interface SearchFiles {
  header: SearchFile;
  contacts: SearchFile;
}

const cache = new WeakMap<Directory, SearchFiles>();

function named(stem: string, extension: string, body: string): SearchFile {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${stem}.${hash}.${extension}`, body };
}

/** The search files of a directory, built once. */
export function getSearchFiles(directory: Directory): SearchFiles {
  const cached = cache.get(directory);
  if (cached) return cached;
  const roles = directory.roles.map((facet) => facet.value);
  const countries = directory.countries.map((facet) => facet.value);
  const roleIndex = new Map(roles.map((role, index) => [role, index]));
  const countryIndex = new Map(countries.map((country, index) => [country, index]));
  const header: SearchHeader = {
    roles,
    countries,
    customers: directory.customers.map((entry) => ({ id: entry.customer.id, name: entry.name })),
  };
  const lines: string[] = [];
  directory.customers.forEach((entry, customer) => {
    for (const contact of entry.contacts) {
      lines.push(
        formatContactLine({
          id: contact.id,
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
        }),
      );
    }
  });
  const files = {
    header: named('header', 'json', JSON.stringify(header)),
    contacts: named('contacts', 'txt', `${lines.join('\n')}\n`),
  };
  cache.set(directory, files);
  return files;
}
