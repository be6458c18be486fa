import type { APIRoute, GetStaticPaths } from 'astro';
import { contactsToCsv } from '../../../pipeline/exporters/csv.ts';
import type { SnapshotContact } from '../../../shared/schema.ts';
import { digestOf, propsKey } from '../../../site/build/cache-key.ts';
import { getDirectory } from '../../../site/build/directory.ts';

// A type, not an interface: getStaticPaths() props must have an index signature.
type Props = { contacts: SnapshotContact[] };

/**
 * One customer's contacts as CSV: same columns, safety and bytes as the snapshot's `contacts.csv`. Made of
 * its props only, so the incremental build reuses it while the contacts are unchanged.
 */
export const getStaticPaths = (async () => {
  const directory = await getDirectory();
  return directory.customers.map((entry) => {
    const props: Props = { contacts: entry.contacts };
    // The same digest as the customer's page: its contacts are hashed once for both.
    return {
      params: { id: entry.customer.id },
      props,
      cacheKey: propsKey({ contacts: digestOf(props.contacts) }),
    };
  });
}) satisfies GetStaticPaths;

export const GET: APIRoute<Props> = ({ props }) =>
  new Response(contactsToCsv(props.contacts), {
    headers: { 'Content-Type': 'text/csv; charset=utf-8' },
  });
