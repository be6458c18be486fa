/**
 * The night after a generated workspace (`npm run demo -- --next-night`): the same workspace, a handful of its
 * contacts edited as people edit them in Qwoty (a new email, a new phone, another role), a few added to
 * existing customers and a few removed, so that the change report shows a night a reader recognises rather
 * than a whole new workspace.
 */
import { randomUUID } from 'node:crypto';
import { createRandom } from './random.ts';
import type { RawContact } from './raw-records.ts';

export interface NightChanges {
  changed: number;
  added: number;
  removed: number;
}

/** What a night changes, by default: a few of each, fewer in a tiny workspace. */
export function nightSize(contacts: number): NightChanges {
  const few = (share: number, most: number) => Math.max(1, Math.min(most, Math.round(contacts * share)));
  return { changed: few(0.005, 12), added: few(0.002, 5), removed: few(0.001, 3) };
}

function isEditable(contact: unknown): contact is RawContact & { id: string; customer_id: string } {
  if (typeof contact !== 'object' || contact === null) return false;
  const { id, customer_id } = contact as RawContact;
  return typeof id === 'string' && typeof customer_id === 'string';
}

/**
 * A copy of `contacts` one night later, as of `now`: the records themselves are not modified. Deterministic
 * for the same seed, but for the ids of the contacts added.
 */
export function nextNight(
  contacts: readonly unknown[],
  options: { seed: number; now: Date; changes?: NightChanges },
): unknown[] {
  const random = createRandom(options.seed + 1_000_003);
  const size = options.changes ?? nightSize(contacts.length);
  const stamp = options.now.toISOString();
  const editable = contacts.flatMap((contact, index) => (isEditable(contact) ? [index] : []));
  const pick = (count: number, taken: Set<number>) => {
    const picked: number[] = [];
    while (picked.length < Math.min(count, editable.length - taken.size)) {
      const index = editable[random.int(editable.length)] ?? 0;
      if (taken.has(index)) continue;
      taken.add(index);
      picked.push(index);
    }
    return picked;
  };
  const taken = new Set<number>();
  const removed = new Set(pick(size.removed, taken));
  const edited = new Set(pick(size.changed, taken));
  const next = contacts.flatMap((contact, index) => {
    if (removed.has(index)) return [];
    if (!edited.has(index) || !isEditable(contact)) return [contact];
    const edit: RawContact = { ...contact, updated_at: stamp };
    switch (index % 3) {
      case 0:
        edit.email = `${
          String(contact.first_name ?? 'contact')
            .toLowerCase()
            .replace(/[^a-z]/g, '') || 'contact'
        }.${index}@nouvelle-adresse.example`;
        break;
      case 1:
        edit.phone = `+33 1 ${String(10 + random.int(89))} ${String(10 + random.int(89))} ${String(10 + random.int(89))} ${String(10 + random.int(89))}`;
        break;
      default:
        edit.role = Array.isArray(contact.role) && contact.role.includes('buyer') ? ['signer'] : ['buyer'];
    }
    return [edit];
  });
  const customers = editable.map((index) => (contacts[index] as RawContact).customer_id);
  for (let n = 0; n < size.added; n += 1) {
    const customer = customers[random.int(customers.length)];
    next.push({
      id: randomUUID(),
      customer_id: customer,
      first_name: ['Camille', 'Léa', 'Hugo', 'Nora', 'Yanis'][n % 5],
      last_name: ['Arnaud', 'Benoît', 'Chevalier', 'Dumont', 'Étienne'][n % 5],
      email: `nouveau.contact.${n + 1}@exemple.example`,
      phone: null,
      role: ['buyer'],
      address_ids: [],
      created_at: stamp,
      updated_at: stamp,
    } satisfies RawContact);
  }
  return next;
}
