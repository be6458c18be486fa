import type { APIRoute, GetStaticPaths } from 'astro';
import { contactsToCsv } from '../../../lib/exporters/csv.ts';
import { type CustomerEntry, getDirectory } from '../../../site/directory.ts';

/** One customer's contacts as CSV: same columns, safety and bytes as the snapshot's `contacts.csv`. */
export const getStaticPaths = (async () => {
  const directory = await getDirectory();
  return directory.customers.map((entry) => ({ params: { id: entry.customer.id }, props: { entry } }));
}) satisfies GetStaticPaths;

export const GET: APIRoute<{ entry: CustomerEntry }> = ({ props }) =>
  new Response(contactsToCsv(props.entry.contacts), {
    headers: { 'Content-Type': 'text/csv; charset=utf-8' },
  });
