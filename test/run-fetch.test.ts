import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import type { QwotyServerOptions } from '../src/fake-api/server.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { FAILED_REJECTS_FILE } from '../src/pipeline/run-fetch.ts';
import { ApiError, DataRejectedError, ExitCode } from '../src/shared/errors.ts';
import { RejectSchema } from '../src/shared/schema/api.ts';
import { SnapshotContactSchema } from '../src/shared/schema/published.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';

const TOKEN = 'qwt_prod_secret_token_value_42';
const api = useEmbeddedApi(TOKEN, 'run');

const serve = (options: QwotyServerOptions) => api.serve(options);

const fetchInto = api.fetch;

async function everyFileText(dir: string): Promise<string> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      texts.push((await readFile(path.join(entry.parentPath, entry.name))).toString('latin1'));
  }
  return texts.join('\n');
}

describe('runFetch', () => {
  test('publishes every valid contact with its customer name and sets the invalid ones aside with reasons', async () => {
    const workspace = generateWorkspace({ contacts: 300, seed: 3, invalid: 6 });
    const server = await serve({ workspace });
    const { manifest, lines } = await fetchInto(server);

    expect(manifest.counts).toMatchObject({ contacts: 294, rejected: 6 });
    const { snapshot } = await readSnapshot(api.dir());
    expect(snapshot.contacts).toHaveLength(294);
    expect(snapshot.contacts.every((contact) => contact.customer_name)).toBe(true);

    const rejects = RejectSchema.array().parse(
      JSON.parse(await readFile(path.join(api.dir(), 'rejects.json'), 'utf8')),
    );
    expect(rejects.map((reject) => reject.index)).toEqual(
      workspace.invalidContacts.map((invalid) => invalid.index),
    );
    expect(rejects.every((reject) => reject.issues.length > 0 && reject.record !== undefined)).toBe(true);
    expect(lines.join('')).toMatch(/6 invalid record\(s\) set aside \(6 of 300 contacts, 2%\)/);
  });

  test('publishes the documented fields of a contact and the ones we add, nothing the API adds by surprise', async () => {
    const workspace = generateWorkspace({ contacts: 120, seed: 5, invalid: 2 });
    // The API sends a field the docs never mention (the demo's `locale`), on valid and invalid records alike.
    const raw = JSON.stringify(workspace.contacts);
    expect(raw).toContain('"locale":"fr-FR"');
    const server = await serve({ workspace });
    await fetchInto(server);

    const published = await readFile(path.join(api.dir(), 'contacts.json'), 'utf8');
    expect(published).not.toContain('"locale"');
    const documented = new Set(Object.keys(SnapshotContactSchema.shape));
    const { contacts } = JSON.parse(published) as { contacts: Record<string, unknown>[] };
    expect(contacts).toHaveLength(118);
    for (const contact of contacts)
      expect(Object.keys(contact).filter((key) => !documented.has(key))).toEqual([]);
    // The set-aside records stay whole in rejects.json, in the data folder only, to be fixed at the source.
    const rejects = RejectSchema.array().parse(
      JSON.parse(await readFile(path.join(api.dir(), 'rejects.json'), 'utf8')),
    );
    expect(rejects).toHaveLength(2);
    expect(rejects.every((reject) => typeof reject.record === 'object' && reject.record !== null)).toBe(true);
  });

  test('never writes the token into any published file or log line', async () => {
    const server = await serve({ contacts: 50 });
    const { lines } = await fetchInto(server);
    expect(await everyFileText(api.dir())).not.toContain(TOKEN);
    expect(lines.join('')).not.toContain(TOKEN);
  });

  test('refuses to publish above the invalid-record threshold, keeping the last good snapshot', async () => {
    const good = await serve({ contacts: 100, seed: 1 });
    await fetchInto(good);
    const before = await readFile(path.join(api.dir(), 'contacts.json'));

    const bad = await serve({ workspace: generateWorkspace({ contacts: 100, seed: 1, invalid: 20 }) });
    const error = await fetchInto(bad).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(DataRejectedError);
    expect((error as DataRejectedError).exitCode).toBe(ExitCode.rejected);
    expect((error as Error).message).toMatch(
      /20 of 100 contacts, 20%\), above the 10% limit: nothing was published/,
    );
    expect(await readFile(path.join(api.dir(), 'contacts.json'))).toEqual(before);
    const setAside = JSON.parse(await readFile(path.join(api.dir(), FAILED_REJECTS_FILE), 'utf8'));
    expect(setAside).toHaveLength(20);
  });

  test('accepts the same share when the threshold allows it, and refuses any with --strict', async () => {
    const workspace = generateWorkspace({ contacts: 100, seed: 1, invalid: 20 });
    const server = await serve({ workspace });
    await expect(fetchInto(server, { QWOTY_MAX_INVALID: '25%' })).resolves.toBeDefined();
    const strict = await serve({ workspace: generateWorkspace({ contacts: 100, seed: 1, invalid: 1 }) });
    await expect(fetchInto(strict, {}, ['--strict'])).rejects.toThrow(/with --strict/);
  });

  test('refuses a snapshot that lost more than half its contacts unless told to allow it', async () => {
    await fetchInto(await serve({ contacts: 100 }));
    const smaller = await serve({ contacts: 40 });
    await expect(fetchInto(smaller)).rejects.toThrow(/has 40 contacts, less than half of the previous 100/);
    expect((await readSnapshot(api.dir())).snapshot.contacts).toHaveLength(100);
    const { manifest } = await fetchInto(smaller, {}, ['--allow-shrink']);
    expect(manifest.counts.contacts).toBe(40);
  });

  test('refuses an empty snapshot unless told to allow it', async () => {
    const empty = await serve({ workspace: generateWorkspace({ contacts: 0 }) });
    await expect(fetchInto(empty)).rejects.toThrow(/refusing to publish an empty snapshot/);
    expect(await readdir(api.dir())).not.toContain('contacts.json');
  });

  test('degrades to customer IDs and no addresses when the token may not read them', async () => {
    const server = await serve({ contacts: 60, permissions: { customers: false, addresses: false } });
    const { manifest, lines } = await fetchInto(server);
    expect(manifest.counts).toMatchObject({ contacts: 60, addresses: 0 });
    expect(manifest.run.warnings).toHaveLength(2);
    const { snapshot } = await readSnapshot(api.dir());
    expect(
      snapshot.contacts.every((contact) => contact.customer_name === null && contact.addresses.length === 0),
    ).toBe(true);
    expect(lines.join('')).toMatch(/may not read customers \(403\)/);
    expect(lines.join('')).toMatch(/may not read addresses \(403\)/);
  });

  test('stops asking for customers once the first 16 look-ups were all refused, instead of asking for each one', async () => {
    const server = await serve({ contacts: 400, permissions: { customers: false } });
    await fetchInto(server, { QWOTY_CONCURRENCY: '4' });
    // 16 refusals, and at most the 4 look-ups already under way when the 16th came back.
    expect(server.count({ endpoint: 'customer' })).toBeLessThanOrEqual(16 + 4);
  });

  test('fails on a 401 on contacts as an authentication error', async () => {
    const server = await serve({ contacts: 10 });
    const error = await fetchInto(server, { QWOTY_API_TOKEN: 'not-the-token' }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, exitCode: ExitCode.auth });
  });

  test('limits the run to one customer when asked', async () => {
    const server = await serve({ contacts: 80 });
    const [first] = server.workspace.contacts as { customer_id: string }[];
    const customerId = first?.customer_id ?? '';
    const { manifest } = await fetchInto(server, { QWOTY_CUSTOMER_ID: customerId });
    expect(manifest.source.customer_id).toBe(customerId);
    expect(manifest.counts.customers).toBe(1);
    expect(server.count({ endpoint: 'customer' })).toBe(1);
  });

  test('publishes complete snapshots through 429s, 5xx, resets and truncated bodies', async () => {
    const server = await serve({
      contacts: 500,
      faults: [
        { path: '/contacts', kind: 'truncate', times: 1 },
        { path: '/addresses', kind: 'reset', times: 1 },
        { path: '/customers/*', kind: 'rateLimit', probability: 0.1, retryAfter: 0 },
        { path: '/customers/*', kind: 'serverError', status: 502, body: 'html', probability: 0.05 },
      ],
    });
    const { manifest } = await fetchInto(server, { QWOTY_RETRIES: '8' });
    expect(manifest.counts.contacts).toBe(500);
    expect(manifest.run.retries).toBeGreaterThan(2);
    const { snapshot } = await readSnapshot(api.dir());
    expect(snapshot.contacts.every((contact) => contact.customer_name !== null)).toBe(true);
  });

  test('reports what changed since the previous snapshot', async () => {
    await fetchInto(await serve({ contacts: 100, seed: 5 }));
    const workspace = generateWorkspace({ contacts: 100, seed: 5 });
    const [changed] = workspace.contacts as { email: string | null }[];
    if (changed) changed.email = 'changed@example.test';
    const { changes } = await fetchInto(
      await serve({ workspace: { ...workspace, contacts: workspace.contacts.slice(0, 90) } }),
    );
    expect(changes.totals).toMatchObject({ removed: 10, changed: 1, added: 0 });
    expect(changes.contacts.changed[0]?.fields).toEqual(['email']);
    expect(JSON.parse(await readFile(path.join(api.dir(), 'changes.json'), 'utf8')).totals.removed).toBe(10);
  });

  test('publishes over a previous snapshot damaged since, with a warning and nothing to compare with', async () => {
    await fetchInto(await serve({ contacts: 60, seed: 7 }));
    const file = path.join(api.dir(), 'contacts.json');
    const lines = (await readFile(file, 'utf8')).split('\n');
    // A contact's line cut in half, mid-file: neither the line reader nor a whole-file parse can read it.
    const damaged = lines.findIndex((line) => line.startsWith('{"id"') && lines.indexOf(line) > 40);
    lines[damaged] = (lines[damaged] ?? '').slice(0, 20);
    await writeFile(file, lines.join('\n'));

    const { changes, lines: output } = await fetchInto(await serve({ contacts: 60, seed: 7 }));
    expect(output.join('')).toMatch(
      /Could not read the previous snapshot's contacts \(.+\): tonight's change report compares with nothing/,
    );
    expect(changes.totals).toMatchObject({ added: 60, removed: 0, changed: 0 });
    expect((await readSnapshot(api.dir())).snapshot.contacts).toHaveLength(60);
  });
});
