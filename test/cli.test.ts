import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateWorkspace } from '../src/fake-api/generate.ts';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';
import { ExitCode } from '../src/shared/errors.ts';
import { listModes, notOwnerOnly } from '../src/testing/file-modes.ts';
import { run } from '../src/testing/server-kit.ts';

const FETCH = path.join(import.meta.dirname, '..', 'scripts', 'fetch.ts');
const TOKEN = 'qwoty_cli_test_token_abcdefghijklmnop';
let server: QwotyServer;
let invalidServer: QwotyServer;
let root: string;
/** A loopback URL where nothing listens any more. */
let closedUrl: string;

beforeAll(async () => {
  server = await createQwotyServer({ contacts: 120, token: TOKEN });
  invalidServer = await createQwotyServer({
    workspace: generateWorkspace({ contacts: 50, invalid: 10 }),
    token: TOKEN,
  });
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-cli-'));
  const closed = await createQwotyServer({ contacts: 1 });
  closedUrl = closed.url;
  await closed.close();
});
afterAll(async () => {
  await Promise.all([server.close(), invalidServer.close()]);
  await rm(root, { recursive: true, force: true });
});

/** Runs `npm run fetch`'s entry point as a user would, in a clean environment. */
function fetchCli(env: Record<string, string>, args: string[] = []) {
  return runScript(FETCH, env, args);
}

/**
 * Runs an entry point of `scripts/` as a user would, in a clean environment; with `umask`, started from a
 * shell that sets it, as a login or cron would.
 */
function runScript(script: string, env: Record<string, string>, args: string[] = [], umask?: string) {
  const [file, fileArgs] = umask
    ? (['/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, script, ...args]] as const)
    : ([process.execPath, [script, ...args]] as const);
  return run(file, [...fileArgs], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', CI: 'true', QWOTY_RETRIES: '1', ...env },
  });
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

describe('npm run fetch', () => {
  test('exits 0 and says what it published', async () => {
    const dataDir = path.join(root, 'ok');
    const run = await fetchCli({
      QWOTY_API_TOKEN: TOKEN,
      QWOTY_API_URL: server.url,
      QWOTY_DATA_DIR: dataDir,
    });
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(
      /^Published 120 contacts of 15 customers \(0 rejected, 0 retries, 17 requests\) in .* to /,
    );
    expect(run.stderr).toMatch(/\[fetch\] contacts: 120 in/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  });

  test('creates the snapshot readable by its owner only, whatever the umask it was started with', async () => {
    const dataDir = path.join(root, 'private');
    const env = { QWOTY_API_TOKEN: TOKEN, QWOTY_API_URL: server.url, QWOTY_DATA_DIR: dataDir };
    // Started where anything created would be readable and writable by anyone.
    const run = await runScript(FETCH, env, [], '000');
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const modes = await listModes(dataDir);
    expect(modes.filter((entry) => entry.path.endsWith('contacts.xlsx'))).toEqual([
      expect.objectContaining({ type: 'file', mode: 0o600 }),
    ]);
    expect(modes.filter((entry) => entry.type === 'folder').length).toBeGreaterThanOrEqual(3);
    expect(notOwnerOnly(modes)).toEqual([]);
  });

  test('prints its help and exits 0', async () => {
    const run = await fetchCli({}, ['--help']);
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/^Usage: npm run fetch/);
  });

  test.each([
    [
      '2 without a token',
      {},
      () => server.url,
      ExitCode.config,
      /^fetch failed: QWOTY_API_TOKEN is not set; see \.env\.example/,
    ],
    [
      '3 when the token is refused',
      { QWOTY_API_TOKEN: 'wrong' },
      () => server.url,
      ExitCode.auth,
      /answered 401.*Check QWOTY_API_TOKEN/,
    ],
    [
      '4 when the API cannot be reached',
      { QWOTY_API_TOKEN: TOKEN },
      () => closedUrl,
      ExitCode.unavailable,
      /ECONNREFUSED.*gave up after 2 attempts.*try again later/,
    ],
    [
      '5 when too many records are invalid',
      { QWOTY_API_TOKEN: TOKEN },
      () => invalidServer.url,
      ExitCode.rejected,
      /above the 10% limit: nothing was published/,
    ],
  ])('exits %s, ending with one sentence and no stack', async (_name, env, url, code, message) => {
    const run = await fetchCli({
      QWOTY_API_URL: url(),
      QWOTY_DATA_DIR: path.join(root, `fail-${code}`),
      ...env,
    });
    expect(run.code).toBe(code);
    expect(lastLine(run.stderr)).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(`${run.stdout}${run.stderr}`).not.toContain(TOKEN);
  });

  describe('on answers that are legal but unexpected', () => {
    let partial: QwotyServer;
    let bomb: QwotyServer;
    let redirecting: Server;
    let redirectUrl: string;
    beforeAll(async () => {
      partial = await createQwotyServer({
        contacts: 300,
        token: TOKEN,
        pagination: { perPage: 100, defect: 'repeat' },
      });
      bomb = await createQwotyServer({
        contacts: 30,
        token: TOKEN,
        hostile: [{ kind: 'gzipBomb', path: '/addresses', inflatedBytes: 1024 ** 3 }],
      });
      redirecting = createServer((_request, response) => {
        response.writeHead(308, { location: 'https://app.qwoty.example/api/contacts' });
        response.end();
      });
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
      redirectUrl = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/api`;
    });
    afterAll(async () => {
      redirecting.close();
      await Promise.all([partial.close(), bomb.close()]);
    });

    test.each([
      [
        '2 when the API redirects, naming the URL to set',
        () => redirectUrl,
        [],
        ExitCode.config,
        /set QWOTY_API_URL=https:\/\/app\.qwoty\.example\/api if/,
      ],
      [
        '5 when a paginated list is partial',
        () => partial.url,
        [],
        ExitCode.rejected,
        /the same page arrived twice\); nothing was published/,
      ],
      [
        '5 when an answer is a gzip bomb, without retrying it',
        () => bomb.url,
        ['--max-list-mb', '32'],
        ExitCode.rejected,
        /\/addresses sent, inside one element over .* a list larger than QWOTY_MAX_LIST_MB \(--max-list-mb\) of 32 MB/,
      ],
    ])('exits %s', async (name, url, args, code, message) => {
      const run = await fetchCli(
        {
          QWOTY_API_TOKEN: TOKEN,
          QWOTY_API_URL: url(),
          QWOTY_DATA_DIR: path.join(root, `shape-${code}`),
          QWOTY_RETRIES: '4',
        },
        args,
      );
      expect(run.code, name).toBe(code);
      expect(lastLine(run.stderr)).toMatch(message);
      expect(run.stderr).not.toMatch(/try again later|retry 1/);
    });
  });

  test('exits 6 when the data folder cannot be created', async () => {
    const run = await fetchCli({
      QWOTY_API_TOKEN: TOKEN,
      QWOTY_API_URL: server.url,
      QWOTY_DATA_DIR: '/dev/null/data',
    });
    expect(run.code).toBe(ExitCode.io);
    expect(lastLine(run.stderr)).toMatch(/^fetch failed: Cannot create the data folder \/dev\/null\/data/);
  });
});

describe.each([
  [
    'demo',
    /^Usage: npm run demo -- \[options\]/,
    /^demo failed: Unknown option '--bogus'; see `npm run demo -- --help`/,
  ],
  [
    'build-site',
    /^Usage: npm run build -- \[options\]/,
    /^build failed: Unknown option '--bogus'; see `npm run build -- --help`/,
  ],
])('scripts/%s.ts', (name, usage, unknown) => {
  const script = path.join(import.meta.dirname, '..', 'scripts', `${name}.ts`);

  test('prints its usage for --help and exits 0, doing nothing else', async () => {
    const run = await runScript(script, {}, ['--help']);
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(usage);
    expect(run.stderr).toBe('');
  });

  test('exits 2 with one sentence for an unknown flag', async () => {
    const run = await runScript(script, {}, ['--bogus']);
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toMatch(unknown);
    expect(run.stderr).not.toMatch(/a bug|at .*\.ts:/);
  });
});

describe('npm run build', () => {
  test('stops with exit 2 and one sentence for a QWOTY_STALE_AFTER_HOURS that is not whole hours', async () => {
    const script = path.join(import.meta.dirname, '..', 'scripts', 'build-site.ts');
    const run = await runScript(script, { QWOTY_STALE_AFTER_HOURS: 'two days', QWOTY_DATA_DIR: root });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toMatch(
      /^build failed: QWOTY_STALE_AFTER_HOURS is invalid \(expected a whole number of hours; 0 turns the notice off\); see `npm run build -- --help`\.\n$/,
    );
  });
});
