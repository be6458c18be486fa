/**
 * What a contact's vCard holds, from the snapshot: the customer's `contacts.vcf` and the data each row of its
 * page carries for its "Save contact" link are both made of this, so the card a reader saves from a row is
 * the one in the customer's file.
 */
import type { AddressSummary, SnapshotContact } from '../../shared/schema/published.ts';
import type { VcardAddress, VcardContact } from '../shared/vcard.ts';
import { contactName } from './directory.ts';

/**
 * `organisation` is the customer's name as read from Qwoty; `null` when it could not be read. `roleLabel`
 * words a role in the site's language (the card's title); by default `decision_maker` reads "decision maker".
 */
export function vcardOf(
  contact: SnapshotContact,
  organisation: string | null,
  roleLabel: (role: string) => string = (role) => role.replace(/_/g, ' '),
): VcardContact {
  return {
    uid: contact.id,
    name: contactName(contact),
    familyName: contact.last_name,
    givenName: contact.first_name,
    organisation,
    title: contact.role.length > 0 ? contact.role.map(roleLabel).join(', ') : null,
    email: contact.email,
    phone: contact.phone,
    addresses: contact.addresses.map(vcardAddress),
  };
}

/**
 * An address in its parts. A snapshot published before the parts were kept has only the one-line summary:
 * it goes in the street field, whole, which every address book shows as written.
 */
export function vcardAddress(address: AddressSummary): VcardAddress {
  const parted =
    address.street !== null ||
    address.postal_code !== null ||
    address.region !== null ||
    address.summary === [address.city, address.country].filter(Boolean).join(', ');
  return {
    street: parted ? address.street : address.summary,
    city: address.city,
    region: address.region,
    postalCode: address.postal_code,
    country: address.country,
  };
}

/**
 * A card as the JSON of a row's `data-card` attribute. `<`, `>` and `&` are written as JSON escapes: the
 * attribute is safe either way, but no markup-looking text, such as a name like `<script>`, then appears
 * anywhere in the page's HTML, and `JSON.parse` gives the same card back.
 */
export function cardData(card: VcardContact): string {
  return JSON.stringify(card).replace(
    /[<>&]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
