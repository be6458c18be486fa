/**
 * Whole fetch runs against the embedded API answering in shapes that are legal but unexpected (see
 * `src/fake-api/shapes.ts`): each ends as issue 11 says, and each reads the snapshot back.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import { generateWorkspace, type Workspace } from '../src/fake-api/generate.ts';
import type { QwotyServer, QwotyServerOptions } from '../src/fake-api/server.ts';
import { deepRecord, NEXT_STYLES, SCENARIOS, withAlternateShapes } from '../src/fake-api/shapes.ts';
import { AnswerCapError } from '../src/pipeline/answer-caps.ts';
import { PartialListError } from '../src/pipeline/pagination.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { ApiError, ExitCode, QwotyError } from '../src/shared/errors.ts';
import { RejectSchema } from '../src/shared/schema/api.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';

const TOKEN = 'qwt_prod_shapes_test_token_0123456789';
const api = useEmbeddedApi(TOKEN, 'shapes');

const serve = (options: QwotyServerOptions) => api.serve(options);

async function fetchInto(server: QwotyServer, env: Record<string, string> = {}, argv: string[] = []) {
  const result = await api.fetch(server, env, argv);
  return { ...result, log: result.lines.join('') };
}

async function failedFetch(server: QwotyServer, env: Record<string, string> = {}, argv: string[] = []) {
  const error = await fetchInto(server, env, argv).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(QwotyError);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as QwotyError;
}

/** Publishes a good snapshot of 300 contacts and returns its contacts.json, to prove a refusal keeps it. */
async function lastGoodSnapshot(): Promise<Buffer> {
  await fetchInto(await serve({ contacts: 300, seed: 9 }));
  return readFile(path.join(api.dir(), 'contacts.json'));
}

async function rejectsFile() {
  return RejectSchema.array().parse(JSON.parse(await readFile(path.join(api.dir(), 'rejects.json'), 'utf8')));
}

const idOf = (record: unknown) => String((record as { id?: unknown }).id);
const customerOf = (record: unknown) => String((record as { customer_id?: unknown }).customer_id);

describe('a paginated list', () => {
  test('is followed to its end, not published as its first page (the case of issue 11)', async () => {
    // 500 a page, meta.total 2000, links.next, a Link header and X-Total-Count, one record without an id.
    const before = await lastGoodSnapshot();
    const workspace = generateWorkspace({ contacts: 2000, seed: 2, invalid: 1 });
    const server = await serve({
      workspace,
      pagination: { perPage: 500, next: ['links-next', 'link-header'] },
    });
    const { manifest } = await fetchInto(server);

    expect(manifest.counts).toMatchObject({ contacts: 1999, rejected: 1 });
    expect(manifest.run.lists?.['/contacts']).toEqual({ pages: 4, members: ['links', 'meta'] });
    expect(manifest.run.lists?.['/addresses']?.pages).toBeGreaterThanOrEqual(1);
    const { snapshot } = await readSnapshot(api.dir());
    expect(new Set(snapshot.contacts.map((contact) => contact.id))).toEqual(
      new Set(
        workspace.contacts.filter((_, index) => index !== workspace.invalidContacts[0]?.index).map(idOf),
      ),
    );
    expect(await readFile(path.join(api.dir(), 'contacts.json'))).not.toEqual(before);
    expect(
      server.requests.filter((request) => request.endpoint === 'contacts').map((request) => request.path),
    ).toEqual(['/api/contacts', '/api/contacts?page=2', '/api/contacts?page=3', '/api/contacts?page=4']);
  });

  test.each(NEXT_STYLES)('is followed when only %s says where the next page is', async (style) => {
    const workspace = generateWorkspace({ contacts: 450, seed: 4 });
    const server = await serve({ workspace, pagination: { perPage: 100, next: [style], total: [] } });
    const { manifest } = await fetchInto(server);
    expect(manifest.run.lists?.['/contacts']?.pages).toBe(5);
    const { snapshot } = await readSnapshot(api.dir());
    expect(snapshot.contacts.map((contact) => contact.id).sort()).toEqual(
      workspace.contacts.map(idOf).sort(),
    );
    expect(snapshot.counts.addresses).toBe(workspace.addresses.length);
  });

  test('is followed within one customer, keeping the customer_id filter on every page', async () => {
    const workspace = generateWorkspace({ contacts: 400, seed: 4, contactsPerCustomer: 200 });
    const server = await serve({ workspace, pagination: { perPage: 30, next: ['links-next'] } });
    const customerId = customerOf(workspace.contacts[0]);
    const { manifest } = await fetchInto(server, { QWOTY_CUSTOMER_ID: customerId });
    const expected = workspace.contacts.filter((contact) => customerOf(contact) === customerId).length;
    expect(manifest.counts.contacts).toBe(expected);
    expect(
      server.requests
        .filter((request) => request.endpoint === 'contacts')
        .every((request) => request.path.includes(`customer_id=${customerId}`)),
    ).toBe(true);
  });

  test.each([
    [
      'a next link on another host',
      'foreign-host',
      /the next page is on http:\/\/elsewhere\.invalid:8443, not on the API's/,
    ],
    ['a page that repeats', 'repeat', /the same page arrived twice/],
    [
      'an unknown continuation member',
      'unknown-continuation',
      /holds "continuation_token", a continuation this client does not know/,
    ],
    [
      'a total larger than what arrived',
      'overstated-total',
      /X-Total-Count announces 1100 records but 1000 arrived/,
    ],
  ] as const)(
    'is refused with exit 5 on %s, keeping the last good snapshot',
    async (_name, defect, message) => {
      const before = await lastGoodSnapshot();
      const server = await serve({ contacts: 1000, seed: 2, pagination: { perPage: 100, defect } });
      const error = await failedFetch(server);
      expect(error).toBeInstanceOf(PartialListError);
      expect(error.exitCode).toBe(ExitCode.rejected);
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/nothing was published and the last good snapshot is kept/);
      expect(await readFile(path.join(api.dir(), 'contacts.json'))).toEqual(before);
    },
  );

  test('is refused when a total in the body is larger than what arrived, with no header', async () => {
    const server = await serve({
      contacts: 300,
      pagination: { perPage: 100, defect: 'overstated-total', total: ['meta-total'] },
    });
    const error = await failedFetch(server);
    expect(error.message).toMatch(/meta\.total announces 400 records but 300 arrived/);
  });
});

describe('records in other shapes', () => {
  test('publish the documented alternates mapped and other bad fields empty, noting each in the quality report', async () => {
    const workspace = withAlternateShapes(generateWorkspace({ contacts: 200, seed: 6 }));
    const server = await serve({ workspace });
    const { manifest, quality } = await fetchInto(server);

    expect(manifest.counts).toMatchObject({ contacts: 200, rejected: 0 });
    expect(await rejectsFile()).toEqual([]);
    const { snapshot } = await readSnapshot(api.dir());
    // Every customer kept its name, whatever its logo or tax ids looked like.
    expect(snapshot.customers.every((customer) => customer.name !== null)).toBe(true);

    const mappedRole = snapshot.contacts.find((contact) => contact.id === idOf(workspace.contacts[1]));
    expect(mappedRole?.role).toEqual(['decision_maker']);
    const alternate = snapshot.customers.find((customer) => customer.id === idOf(workspace.customers[1]));
    expect(alternate).toMatchObject({
      tax_ids: [{ tax: 'VAT', tax_value: 'FR00000000001' }],
      logo: 'https://cdn.qwoty.example/logos/1.png',
      custom_properties: { tier: 'gold', account_manager: 'Zoë', scores: [1, 2, { nested: true }] },
    });
    const emptied = snapshot.customers.find((customer) => customer.id === idOf(workspace.customers[2]));
    expect(emptied).toMatchObject({ logo: null, tax_ids: [] });

    const noted = (entity: string, id: string, field: string) =>
      quality.normalised.find((note) => note.entity === entity && note.id === id && note.field === field);
    expect(noted('contact', idOf(workspace.contacts[1]), 'role')).toMatchObject({
      type: 'string',
      action: 'mapped',
    });
    expect(noted('customer', idOf(workspace.customers[1]), 'tax_ids')).toMatchObject({
      type: 'array',
      action: 'mapped',
    });
    expect(noted('customer', idOf(workspace.customers[1]), 'logo')).toMatchObject({
      type: 'object',
      action: 'mapped',
    });
    expect(noted('customer', idOf(workspace.customers[2]), 'logo')).toMatchObject({
      type: 'number',
      action: 'emptied',
      reason: expect.stringMatching(/expected string, received number/),
    });
    const published = JSON.parse(await readFile(path.join(api.dir(), 'quality.json'), 'utf8'));
    expect(published.totals.normalised).toBe(quality.normalised.length);
    const rows: string[][] = parseCsv(await readFile(path.join(api.dir(), 'quality.csv')), { bom: true });
    expect(rows).toContainEqual([
      'normalised_field',
      '',
      '',
      'customer: logo (number) published empty: Invalid input: expected string, received number',
      '',
      idOf(workspace.customers[2]),
    ]);
  });

  test('reject a contact only for its identity: peripheral fields are emptied and the contact published', async () => {
    const workspace = generateWorkspace({ contacts: 300, seed: 8, invalid: 4, bent: 6 });
    const server = await serve({ workspace });
    const { manifest, quality } = await fetchInto(server);

    expect(manifest.counts).toMatchObject({ contacts: 296, rejected: 4 });
    const rejects = await rejectsFile();
    expect(rejects.map((reject) => reject.index)).toEqual(
      workspace.invalidContacts.map(({ index }) => index),
    );
    const { snapshot } = await readSnapshot(api.dir());
    const published = new Map(snapshot.contacts.map((contact) => [contact.id, contact]));
    for (const { index, kind } of workspace.bentContacts) {
      const contact = published.get(idOf(workspace.contacts[index]));
      expect(contact, kind).toBeDefined();
    }
    const bent = (kind: string) => workspace.bentContacts.find((entry) => entry.kind === kind)?.index ?? -1;
    expect(published.get(idOf(workspace.contacts[bent('email is a number')]))?.email).toBeNull();
    expect(published.get(idOf(workspace.contacts[bent('phone is an object')]))?.phone).toBeNull();
    expect(published.get(idOf(workspace.contacts[bent('role is a string')]))?.role).toEqual([
      'decision_maker',
    ]);
    expect(quality.normalised.map((note) => `${note.field} ${note.type} ${note.action}`).sort()).toEqual([
      'address_ids array emptied',
      'created_at string emptied',
      'email number emptied',
      'phone object emptied',
      'role string mapped',
    ]);
  });
});

describe('customers that cannot be read', () => {
  test('a deleted customer (404) leaves its contacts published under its id, listed by the quality report', async () => {
    const workspace = generateWorkspace({ contacts: 120, seed: 3 });
    const server = await serve(SCENARIOS['deleted-customer']?.apply(workspace) ?? {});
    const gone = customerOf(workspace.contacts[0]);
    const { quality, log } = await fetchInto(server);

    const { snapshot } = await readSnapshot(api.dir());
    const orphans = snapshot.contacts.filter((contact) => contact.customer_id === gone);
    expect(orphans.length).toBeGreaterThan(0);
    expect(orphans.every((contact) => contact.customer_name === null)).toBe(true);
    expect(snapshot.customers.find((customer) => customer.id === gone)).toMatchObject({ name: null });
    expect(snapshot.customers.filter((customer) => customer.name === null)).toHaveLength(1);
    const findings = quality.findings.filter((finding) => finding.kind === 'unnamed_customer');
    expect(findings.map((finding) => finding.id).sort()).toEqual(orphans.map((contact) => contact.id).sort());
    expect(findings[0]?.detail).toBe(`customer ${gone}: not found (404): deleted in Qwoty?`);
    expect(log).toMatch(/1 customer\(s\) referenced by contacts were not found \(404\)/);
  });

  test('a 403 on one customer costs only that customer its name', async () => {
    const workspace = generateWorkspace({ contacts: 120, seed: 3 });
    const server = await serve(SCENARIOS['forbidden-customer']?.apply(workspace) ?? {});
    const refused = customerOf(workspace.contacts[0]);
    const { manifest, quality } = await fetchInto(server, { QWOTY_CONCURRENCY: '2' });

    const { snapshot } = await readSnapshot(api.dir());
    expect(
      snapshot.customers.filter((customer) => customer.name === null).map((customer) => customer.id),
    ).toEqual([refused]);
    expect(
      snapshot.contacts
        .filter((contact) => contact.customer_id !== refused)
        .every((contact) => contact.customer_name),
    ).toBe(true);
    expect(manifest.run.warnings).toEqual([
      '1 customer(s) could not be read (403, no permission on them); they are shown by ID.',
    ]);
    expect(quality.findings.find((finding) => finding.kind === 'unnamed_customer')?.detail).toMatch(
      /may not read this customer \(403\)/,
    );
  });

  test('a token revoked during the run (401) fails it with exit 3, keeping the last good snapshot', async () => {
    const before = await lastGoodSnapshot();
    const server = await serve({ contacts: 300, seed: 9, revokeTokenAfter: 15 });
    const error = await failedFetch(server);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, exitCode: ExitCode.auth });
    expect(await readFile(path.join(api.dir(), 'contacts.json'))).toEqual(before);
  });

  test('a token revoked between two pages of the contacts fails the run with exit 3', async () => {
    const server = await serve({ contacts: 300, pagination: { perPage: 100 }, revokeTokenAfter: 2 });
    const error = await failedFetch(server, { QWOTY_CONCURRENCY: '1' });
    expect(error).toMatchObject({ status: 401, exitCode: ExitCode.auth });
  });

  test('a customer nested deeper than the cap is set aside without its value; its contacts keep their place', async () => {
    const workspace = generateWorkspace({ contacts: 60, seed: 3 });
    const deep = customerOf(workspace.contacts[0]);
    const customers = workspace.customers.map((customer) =>
      idOf(customer) === deep ? deepRecord(customer, 'custom_properties', 20_000, 'object') : customer,
    );
    const server = await serve({ workspace: { ...workspace, customers } });
    const { manifest } = await fetchInto(server);
    expect(manifest.counts).toMatchObject({ contacts: 60, rejected: 1 });
    const [reject] = await rejectsFile();
    expect(reject).toEqual({
      entity: 'customer',
      index: null,
      id: deep,
      issues: [
        {
          path: '(record)',
          message: expect.stringMatching(
            /nested deeper than QWOTY_MAX_DEPTH \(--max-depth\) of 32 levels; set aside without its value/,
          ),
        },
      ],
    });
    const { snapshot } = await readSnapshot(api.dir());
    expect(snapshot.customers.find((customer) => customer.id === deep)?.name).toBeNull();
  });
});

describe('answers over a cap', () => {
  test('a gzip bomb on /addresses ends the run with exit 5 at the list cap, without a retry', async () => {
    const before = await lastGoodSnapshot();
    const server = await serve({
      contacts: 50,
      hostile: [{ kind: 'gzipBomb', path: '/addresses', inflatedBytes: 1024 ** 3 }],
    });
    const error = await failedFetch(server, { QWOTY_MAX_LIST_MB: '16', QWOTY_RETRIES: '6' });
    expect(error).toBeInstanceOf(AnswerCapError);
    expect(error.exitCode).toBe(ExitCode.rejected);
    expect(error.message).toMatch(
      /\/addresses sent, inside one element over QWOTY_MAX_RECORD_KB \(--max-record-kb\) of 1,024 kB, a list larger than QWOTY_MAX_LIST_MB \(--max-list-mb\) of 16 MB/,
    );
    expect(server.count({ endpoint: 'addresses' })).toBe(1);
    expect(await readFile(path.join(api.dir(), 'contacts.json'))).toEqual(before);
  });

  test('a bomb smaller than the list cap still ends inside an over-large element, and is not retried', async () => {
    const server = await serve({
      contacts: 50,
      hostile: [{ kind: 'gzipBomb', path: '/addresses', inflatedBytes: 32 * 1024 ** 2 }],
    });
    const error = await failedFetch(server, { QWOTY_MAX_LIST_MB: '64', QWOTY_RETRIES: '6' });
    expect(error).toBeInstanceOf(AnswerCapError);
    expect(error.message).toMatch(/sent an element that never ended and is over QWOTY_MAX_RECORD_KB/);
    expect(server.count({ endpoint: 'addresses' })).toBe(1);
  });

  test('an element that never ends ends the run with exit 5, without a retry', async () => {
    const server = await serve({ contacts: 50, hostile: [{ kind: 'endlessElement', path: '/contacts' }] });
    const error = await failedFetch(server, { QWOTY_MAX_LIST_MB: '8', QWOTY_MAX_RECORD_KB: '64' });
    expect(error).toBeInstanceOf(AnswerCapError);
    expect(error.message).toMatch(/QWOTY_MAX_LIST_MB \(--max-list-mb\) of 8 MB/);
    expect(server.count({ endpoint: 'contacts' })).toBe(1);
    await expect(readSnapshot(api.dir())).rejects.toThrow(/no snapshot/);
  });

  test('a customer answer over the answer cap sets that customer aside and the run goes on', async () => {
    const workspace = generateWorkspace({ contacts: 40, seed: 3 });
    const big = customerOf(workspace.contacts[0]);
    const server = await serve({
      workspace,
      hostile: [{ kind: 'gzipBomb', path: `/customers/${big}`, inflatedBytes: 8 * 1024 ** 2 }],
    });
    const { manifest } = await fetchInto(server, { QWOTY_MAX_ANSWER_KB: '256' });
    expect(manifest.counts).toMatchObject({ contacts: 40, rejected: 1 });
    const [reject] = await rejectsFile();
    expect(reject?.issues[0]?.message).toMatch(
      /sent an answer larger than QWOTY_MAX_ANSWER_KB \(--max-answer-kb\) of 256 kB/,
    );
    expect(server.requests.filter((request) => request.path.endsWith(big))).toHaveLength(1);
  });

  test.each([
    ['a known field', (record: unknown) => deepRecord(record, 'role', 20_000)],
    ['an unknown field', (record: unknown) => deepRecord(record, 'x_extra', 20_000, 'object')],
    ['its size', (record: unknown) => ({ ...(record as object), note: 'N'.repeat(2 * 1024 * 1024) })],
  ])(
    'a contact over a cap in %s is set aside without its value, and the rest is published',
    async (_name, spoil) => {
      const workspace: Workspace = generateWorkspace({ contacts: 100, seed: 12 });
      const contacts = workspace.contacts.map((contact, index) => (index === 7 ? spoil(contact) : contact));
      const server = await serve({ workspace: { ...workspace, contacts } });
      const { manifest } = await fetchInto(server);

      expect(manifest.counts).toMatchObject({ contacts: 99, rejected: 1 });
      const [reject] = await rejectsFile();
      expect(reject).toMatchObject({ entity: 'contact', index: 7, id: idOf(workspace.contacts[7]) });
      expect(reject).not.toHaveProperty('record');
      expect(reject?.issues[0]?.message).toMatch(
        /(nested deeper|larger) than QWOTY_MAX_(DEPTH|RECORD_KB).*set aside without its value/,
      );
      const { snapshot, quality } = await readSnapshot(api.dir());
      expect(snapshot.contacts).toHaveLength(99);
      expect(quality?.rejected).toHaveLength(1);
    },
  );
});
