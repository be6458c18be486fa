import type { APIRoute, GetStaticPaths } from 'astro';
import type { SnapshotContact } from '../../../shared/schema.ts';
import { digestOf, propsKey } from '../../../site/build/cache-key.ts';
import { getDirectory } from '../../../site/build/directory.ts';
import { siteLang, siteText } from '../../../site/build/site-text.ts';
import { vcardOf } from '../../../site/build/vcards.ts';
import { formatVcards, VCARD_MEDIA_TYPE } from '../../../site/shared/vcard.ts';

// A type, not an interface: getStaticPaths() props must have an index signature.
type Props = { contacts: SnapshotContact[]; organisation: string | null };

/**
 * One customer's contacts as vCards, for a phone or an address book: what each row's "Save contact" link
 * falls back to without JavaScript. Made of its props only, so the incremental build reuses it while the
 * contacts and the customer's name are unchanged.
 */
export const getStaticPaths = (async () => {
  const directory = await getDirectory();
  return directory.customers.map((entry) => {
    const props: Props = { contacts: entry.contacts, organisation: entry.customer.name };
    // The same digest as the customer's page and CSV: its contacts are hashed once for all three. The roles
    // are worded in the site's language, so a build in another language renders it again.
    return {
      params: { id: entry.customer.id },
      props,
      cacheKey: propsKey({ ...props, contacts: digestOf(props.contacts), lang: siteLang() }),
    };
  });
}) satisfies GetStaticPaths;

export const GET: APIRoute<Props> = ({ props }) => {
  const text = siteText();
  const roleLabel = (role: string) => text.value('role', role);
  const cards = props.contacts.map((contact) => vcardOf(contact, props.organisation, roleLabel));
  return new Response(formatVcards(cards), { headers: { 'Content-Type': VCARD_MEDIA_TYPE } });
};
