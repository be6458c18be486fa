/**
 * The quality page's reasons in the site's language: the reasons the pipeline really writes (zod's and our
 * own, from the real normaliser), read back in French with no English left.
 */
import { describe, expect, test } from 'vitest';
import { normaliseContact, normaliseCustomer } from '../../src/pipeline/normalise.ts';
import { issueText, reasonText } from '../../src/site/build/reports.ts';
import { MESSAGES } from '../../src/site/shared/i18n.ts';
import { createText } from '../../src/site/shared/text.ts';
import { fixtureId } from '../../src/testing/records.ts';

const fr = createText('fr', MESSAGES.fr);
const en = createText('en', MESSAGES.en);
const ID = fixtureId(1);
const ENGLISH = /\b(?:expected|received|invalid|input|needs|sent|read as|set aside|string|number)\b/i;

/** Every reason the normaliser gives for these records: emptied fields, mapped shapes and rejects. */
function reasons(): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  for (const result of [
    normaliseContact({ id: ID, customer_id: ID, email: 42, role: 'buyer', created_at: 'yesterday' }),
    normaliseContact({ id: 'not-an-id', customer_id: ID }),
    normaliseCustomer({
      id: ID,
      name: '',
      tax_ids: { code: 'VAT', value: 'FR1' },
      logo: { url: 'x', alt: 'y' },
    }),
  ]) {
    if (result.ok)
      for (const field of result.fields) found.push({ path: field.field, message: field.reason });
    else found.push(...result.issues);
  }
  return found;
}

describe('reasonText', () => {
  test('words every reason the pipeline writes in French, with no English left', () => {
    const all = reasons();
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const issue of all) {
      const words = issueText(fr, issue);
      expect(words, issue.message).not.toMatch(ENGLISH);
      expect(words).not.toBe(issue.message);
    }
  });

  test('reads the types of zod’s message and a withheld record’s inner reason', () => {
    expect(reasonText(fr, 'Invalid input: expected string, received number')).toBe(
      'valeur invalide\u00a0: texte attendu, nombre reçu',
    );
    expect(reasonText(fr, 'expected a UUID; set aside without its value')).toBe(
      'un UUID attendu, mis de côté sans sa valeur',
    );
    expect(issueText(fr, { path: 'id', message: 'expected a UUID' })).toBe(
      'identifiant\u00a0: un UUID attendu',
    );
  });

  test('keeps English, and a reason no form matches, as written', () => {
    expect(issueText(en, { path: 'id', message: 'expected a UUID' })).toBe('id: expected a UUID');
    expect(reasonText(fr, 'something new')).toBe('something new');
  });
});
