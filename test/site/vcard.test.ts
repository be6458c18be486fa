import { describe, expect, test } from 'vitest';
import type { SnapshotContact } from '../../src/shared/schema/published.ts';
import { contactName } from '../../src/site/build/directory.ts';
import { cardData, vcardOf } from '../../src/site/build/vcards.ts';
import {
  escapeText,
  foldLine,
  formatVcard,
  formatVcards,
  VCARD_LINE_OCTETS,
  type VcardContact,
} from '../../src/site/shared/vcard.ts';
import { fixtureId } from '../../src/testing/records.ts';
import { sampleSnapshot } from '../../src/testing/sample-snapshot.ts';
import { hasVobject, readVcards, VOBJECT_MISSING } from '../helpers/vcards.ts';

const missing = !hasVobject();
if (missing && !process.env.CI) console.warn(`Skipping the vCard reading tests. ${VOBJECT_MISSING}`);
const withReader = missing && !process.env.CI ? describe.skip : describe;

/**
 * What a reader gets back of a text value: the text, with line breaks as LF and other control characters as
 * spaces (a card cannot hold them), and lone surrogates as U+FFFD (UTF-8 cannot).
 */
function readBack(value: string): string {
  return (
    value
      .toWellFormed()
      .replace(/\r\n|\r/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters under test
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, ' ')
  );
}

/** Names that break naive vCard writers, and scripts and lengths that break naive folding. */
const HOSTILE_NAMES: Array<[string, string]> = [
  ['Dupont, Jr.', 'Jean; Pierre'],
  ['Back\\slash\\', '\\;\\,\\n'],
  ['Line\r\nBreak', 'Anne\nMarie\rClaire'],
  ['X\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Injected', 'Y\nUID:evil'],
  ['الفارسي', 'محمد'],
  ['山田', '太郎'],
  ['Παπαδόπουλος', 'Νίκος'],
  ['Zoe\u0308 Ñúñez', '👩‍💻 Dev'],
  ['Tab\tSeparated', 'Bell\u0007and\u0000nul'],
  ['lone \uD800 surrogate', 'Straße'],
  // Long enough to fold many times, with 1-, 2-, 3- and 4-octet characters and escapes at every offset.
  ['é山👩‍💻a,;\\'.repeat(40), `${'x'.repeat(73)}é${'y'.repeat(70)}山${'z'.repeat(71)}😀`],
];

function hostileCard(index: number, [family, given]: [string, string]): VcardContact {
  return {
    uid: fixtureId(index),
    name: `${given} ${family}`,
    familyName: family,
    givenName: given,
    organisation: `Acme; "Quoted", Inc.\\${family}`,
    title: `buyer, decision maker; ${given}`,
    email: `${given}@example.com`,
    phone: `+33 6 12,34;56\n78 ${family}`,
    addresses: [
      {
        street: `12 rue de la Paix; ${family}`,
        city: 'Paris',
        region: null,
        postalCode: '75002',
        country: 'FR',
      },
      {
        street: `Bâtiment B\r\n3 quai ${given}`,
        city: given,
        region: `${family},;`,
        postalCode: null,
        country: null,
      },
    ],
  };
}

const hostileCards = HOSTILE_NAMES.map((names, index) => hostileCard(index, names));

describe('formatVcard', () => {
  test('writes vCard 3.0 with CRLF line breaks only', () => {
    for (const card of hostileCards) {
      const text = formatVcard(card);
      expect(text.startsWith('BEGIN:VCARD\r\nVERSION:3.0\r\n')).toBe(true);
      expect(text.endsWith('END:VCARD\r\n')).toBe(true);
      expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    }
  });

  test('folds every line at 75 octets without splitting a UTF-8 sequence or an escape', () => {
    const text = formatVcards(hostileCards);
    const lines = text.slice(0, -2).split('\r\n');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let folded = 0;
    for (const line of lines) {
      const bytes = new TextEncoder().encode(line);
      expect(bytes.length, line).toBeLessThanOrEqual(VCARD_LINE_OCTETS);
      // Each line is valid UTF-8 on its own: no character was cut between two lines.
      expect(decoder.decode(bytes)).toBe(line);
      if (line.startsWith(' ')) folded += 1;
    }
    expect(folded).toBeGreaterThan(20);
    // A line never ends inside an escape: its backslashes pair up with what follows them.
    for (const line of lines) expect(line.replace(/\\./g, '')).not.toContain('\\');
  });

  test('folds a line of exactly 75 octets not at all, and one of 76 into two', () => {
    expect(foldLine(`FN:${'a'.repeat(72)}`)).toBe(`FN:${'a'.repeat(72)}\r\n`);
    expect(foldLine(`FN:${'a'.repeat(73)}`)).toBe(`FN:${'a'.repeat(72)}\r\n a\r\n`);
    // A 3-octet character that would end at octet 76 moves whole to the next line.
    expect(foldLine(`FN:${'a'.repeat(71)}山`)).toBe(`FN:${'a'.repeat(71)}\r\n 山\r\n`);
  });

  test('counts octets the same whether a line is short, near the limit or over it', () => {
    // A pair (4 octets) ending exactly at octet 75: the quick count (6) defers to the exact one, which fits it.
    expect(foldLine(`FN:${'a'.repeat(68)}😀`)).toBe(`FN:${'a'.repeat(68)}😀\r\n`);
    expect(foldLine(`FN:${'a'.repeat(69)}😀`)).toBe(`FN:${'a'.repeat(69)}\r\n 😀\r\n`);
    // 2-octet characters: 3 + 36 × 2 = 75 fits, one more does not.
    expect(foldLine(`FN:${'é'.repeat(36)}`)).toBe(`FN:${'é'.repeat(36)}\r\n`);
    expect(foldLine(`FN:${'é'.repeat(37)}`)).toBe(`FN:${'é'.repeat(36)}\r\n é\r\n`);
  });

  test('escapes what needs it and returns every other value as it is', () => {
    expect(escapeText('Anne Dupont')).toBe('Anne Dupont');
    expect(escapeText('a\tb')).toBe('a\tb');
    expect(escapeText('a,b;c\\d')).toBe('a\\,b\\;c\\\\d');
    expect(escapeText('a\r\nb\u0001c')).toBe('a\\nb c');
    expect(escapeText('lone \uD800')).toBe('lone \uFFFD');
  });

  test('leaves out what a contact does not have, and names a contact without a name by its id', () => {
    const text = formatVcard({
      uid: 'c1',
      name: ' ',
      familyName: null,
      givenName: null,
      organisation: null,
      title: null,
      email: '',
      phone: null,
      addresses: [{ street: ' ', city: null, region: '', postalCode: null, country: null }],
    });
    expect(text).toBe('BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:c1\r\nUID:c1\r\nEND:VCARD\r\n');
  });

  test('writes the same bytes for the same contact', () => {
    expect(formatVcards(hostileCards)).toBe(formatVcards(hostileCards.map((card) => ({ ...card }))));
  });
});

describe('cardData', () => {
  test('writes a card as JSON without <, > or &, and JSON.parse gives the same card back', () => {
    const card = { ...hostileCard(0, ['<script>alert(1)</script> & co', '<img src=x onerror=alert(2)>']) };
    const data = cardData(card);
    expect(data).not.toMatch(/[<>&]/);
    expect(JSON.parse(data)).toEqual(card);
  });
});

withReader('vCards read by a real parser (python3-vobject)', () => {
  test('reads one card per contact, each hostile name and value back as the same text', async () => {
    const cards = await readVcards(formatVcards(hostileCards));
    expect(cards).toHaveLength(hostileCards.length);
    cards.forEach((card, index) => {
      const sent = hostileCards[index];
      if (!sent) throw new Error(`no card ${index}`);
      expect(card.version).toBe('3.0');
      expect(card.n.family).toBe(readBack(sent.familyName ?? ''));
      expect(card.n.given).toBe(readBack(sent.givenName ?? ''));
      expect(card.fn).toBe(readBack(sent.name));
      expect(card.org).toEqual([[readBack(sent.organisation ?? '')]]);
      expect(card.title).toEqual([readBack(sent.title ?? '')]);
      expect(card.email).toEqual([readBack(sent.email ?? '')]);
      expect(card.tel).toEqual([readBack(sent.phone ?? '')]);
      expect(card.adr).toEqual(
        sent.addresses.map((address) => ({
          box: '',
          extended: '',
          street: readBack(address.street ?? ''),
          city: readBack(address.city ?? ''),
          region: readBack(address.region ?? ''),
          code: readBack(address.postalCode ?? ''),
          country: readBack(address.country ?? ''),
        })),
      );
      expect(card.uid).toEqual([sent.uid]);
      // Nothing injected: only the properties written.
      expect(card.properties).toEqual(['ADR', 'EMAIL', 'FN', 'N', 'ORG', 'TEL', 'TITLE', 'UID', 'VERSION']);
    });
  });

  test("reads the hostile sample snapshot's contacts back as the snapshot has them", async () => {
    const snapshot = sampleSnapshot();
    const contacts: SnapshotContact[] = snapshot.contacts;
    const cards = await readVcards(formatVcards(contacts.map((c) => vcardOf(c, c.customer_name))));
    expect(cards).toHaveLength(contacts.length);
    cards.forEach((card, index) => {
      const contact = contacts[index];
      if (!contact) throw new Error(`no contact ${index}`);
      expect(card.uid).toEqual([contact.id]);
      expect(card.fn).toBe(readBack(contactName(contact)));
      expect(card.n.family).toBe(readBack(contact.last_name ?? ''));
      expect(card.n.given).toBe(readBack(contact.first_name ?? ''));
      expect(card.org).toEqual(contact.customer_name ? [[readBack(contact.customer_name)]] : []);
      expect(card.title).toEqual(
        contact.role.length > 0 ? [contact.role.map((role) => role.replace(/_/g, ' ')).join(', ')] : [],
      );
      expect(card.email).toEqual(contact.email ? [readBack(contact.email.trim())] : []);
      expect(card.tel).toEqual(contact.phone ? [readBack(contact.phone.trim())] : []);
      expect(card.adr.map((address) => address.street)).toEqual(
        contact.addresses.map((address) => readBack(address.street ?? address.summary)),
      );
    });
  });

  test('reads an address field by field: street, city, region, postal code and country', async () => {
    const address = {
      ...sampleSnapshot().customers.flatMap((customer) => customer.addresses)[0],
      street: '12 rue de la Paix, Bât. B',
      postal_code: '75002',
      city: 'Paris',
      region: 'Île-de-France',
      country: 'FR',
    } as const;
    const contact = { ...sampleSnapshot().contacts[0], addresses: [address] } as SnapshotContact;
    const [card] = await readVcards(formatVcard(vcardOf(contact, 'Acme')));
    expect(card?.adr).toEqual([
      {
        box: '',
        extended: '',
        street: '12 rue de la Paix, Bât. B',
        city: 'Paris',
        region: 'Île-de-France',
        code: '75002',
        country: 'FR',
      },
    ]);
  });

  test('puts the one line of a snapshot published before the parts were kept in the street field', async () => {
    const legacy = {
      id: sampleSnapshot().contacts[0]?.id ?? '',
      type: null,
      label: null,
      summary: '3 quai des Célestins, 69002 Lyon, FR',
      street: null,
      postal_code: null,
      city: 'Lyon',
      region: null,
      country: 'FR',
    };
    const contact = { ...sampleSnapshot().contacts[0], addresses: [legacy] } as SnapshotContact;
    const [card] = await readVcards(formatVcard(vcardOf(contact, 'Acme')));
    expect(card?.adr[0]).toMatchObject({ street: '3 quai des Célestins, 69002 Lyon, FR', city: 'Lyon' });
  });

  test('reads an empty file as no card', async () => {
    expect(await readVcards(formatVcards([]))).toEqual([]);
  });
});
