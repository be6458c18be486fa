import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';
import { readSnapshot } from '../src/pipeline/read-snapshot.ts';
import { ExitCode } from '../src/shared/errors.ts';
import { isProcessAlive } from '../src/shared/pid-lock.ts';
import { RunSummarySchema } from '../src/shared/schema/run-summary.ts';
import { siteFolder } from '../src/site/build/site-folder.ts';
import { listModes, notOwnerOnly } from '../src/testing/file-modes.ts';

const NIGHTLY = path.join(import.meta.dirname, '..', 'scripts', 'nightly.ts');
const TOKEN = 'qwoty_nightly_test_token_0123456789';
let server: QwotyServer;
let root: string;

beforeAll(async () => {
  server = await createQwotyServer({ contacts: 40, token: TOKEN });
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-nightly-'));
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** Runs `npm run nightly`'s entry point; with `umask`, from a shell that sets it, as a login or cron would. */
function nightly(env: Record<string, string>, umask?: string) {
  return startNightly(env, umask).done;
}

/** Starts `npm run nightly`'s entry point: the process, and what it printed and how it ended once it did. */
function startNightly(env: Record<string, string>, umask?: string) {
  let started: ChildProcess | undefined;
  const done = new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) => {
    const command = umask
      ? ([
          '/bin/sh',
          ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, NIGHTLY, '--quiet'],
        ] as const)
      : ([process.execPath, [NIGHTLY, '--quiet']] as const);
    const child = spawn(command[0], command[1], {
      cwd: path.join(import.meta.dirname, '..'),
      env: {
        PATH: process.env.PATH ?? '',
        CI: 'true',
        QWOTY_API_URL: server.url,
        QWOTY_API_TOKEN: TOKEN,
        QWOTY_RETRIES: '1',
        QWOTY_DATA_DIR: path.join(root, 'data'),
        QWOTY_SITE_DIR: path.join(root, 'site'),
        QWOTY_SITE_CACHE_DIR: path.join(root, 'site-cache'),
        GITHUB_STEP_SUMMARY: path.join(root, 'step-summary.md'),
        ...env,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
    started = child;
  });
  if (!started?.pid) throw new Error('the nightly did not start');
  return { pid: started.pid, done };
}

/** The processes `pid` started (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return list.split(' ').filter(Boolean).map(Number);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const summary = async () =>
  RunSummarySchema.parse(JSON.parse(await readFile(path.join(root, 'data', 'run-summary.json'), 'utf8')));

describe('npm run nightly', () => {
  test('fetches, publishes and builds the site, then summarises the run for people and machines', async () => {
    const run = await nightly({});
    expect(run.code, run.output).toBe(ExitCode.ok);
    expect(await readFile(path.join(root, 'site', 'index.html'), 'utf8')).toContain('40 contacts');
    const written = await summary();
    expect(written).toMatchObject({ status: 'ok', exit_code: 0, error: null, counts: { contacts: 40 } });
    expect(written.durations_ms).toHaveProperty('build');
    expect(written.changes).toMatchObject({ added: 40 });
    expect(written).toMatchObject({ throttled: 0, freshness: { reused: 0, unnamed: 0, oldest: null } });
    expect(written.freshness?.refreshed).toBe(written.counts?.customers);
    expect(run.output).toMatch(
      / +Customers: +\d+ read tonight, 0 kept from an earlier night, 0 without a name/,
    );
    expect(run.output).toMatch(
      /Nightly run summary\n +Status: +published\n +Run: +\d{8}T\d{6}Z-\d+\n +Snapshot: +40 contacts/,
    );
    expect(await readFile(path.join(root, 'step-summary.md'), 'utf8')).toMatch(
      /### ✅ Qwoty contacts snapshot published/,
    );
    expect(run.output).not.toContain(TOKEN);
    // One computation: the printed line and quality.json give the same counts.
    const quality = JSON.parse(await readFile(path.join(root, 'data', 'quality.json'), 'utf8')).totals;
    expect(written.quality).toEqual(quality);
    expect(run.output).toContain(
      `  Quality:   ${quality.missing_email} with a phone but no email, ${quality.missing_phone} with an email but no phone, ${quality.missing_email_and_phone} with neither,`,
    );
    // A log (not a terminal): every line of the run's own starts with the time.
    expect(run.output).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[build\] /m);
  });

  test("copies the next night's unchanged pages from the site cache, and dates the home page anew", async () => {
    const [customer = ''] = await readdir(path.join(root, 'site', 'customers'));
    const page = () => path.join(root, 'site', 'customers', customer, 'index.html');
    const before = await stat(page());
    const bytes = await readFile(page());
    const firstNight = JSON.parse(
      await readFile(path.join(root, 'data', 'contacts.json'), 'utf8'),
    ).generated_at;
    const run = await nightly({});
    expect(run.code, run.output).toBe(ExitCode.ok);
    // The fake API serves the same workspace again: the customer's page was linked from the site cache into
    // the new site (one file with the first night's), not rendered and written.
    const after = await stat(page());
    expect(after.ino).toBe(before.ino);
    expect(after.nlink).toBeGreaterThanOrEqual(3);
    const secondNight = JSON.parse(
      await readFile(path.join(root, 'data', 'contacts.json'), 'utf8'),
    ).generated_at;
    expect(secondNight).not.toBe(firstNight);
    const home = await readFile(path.join(root, 'site', 'index.html'), 'utf8');
    expect(home).toMatch(new RegExp(`Taken\\s*<time datetime="${secondNight}">`));
    expect(home).toContain(`Snapshot taken <time datetime="${secondNight}">`);
    expect(await readFile(page())).toEqual(bytes);
  });

  test('keeps the previous site next to the live one, and serves the live one through the site path', async () => {
    const site = siteFolder(path.join(root, 'site'));
    const versions = (await readdir(site.versionsDir)).filter((name) => !name.startsWith('.'));
    expect(versions).toHaveLength(2);
    expect((await lstat(site.link)).isSymbolicLink()).toBe(true);
    expect(path.basename(await realpath(site.link))).toBe(versions.sort().at(-1));
  });

  test('creates the snapshot, the site and its cache readable by their owner only', async () => {
    // New folders (the modes of existing ones stay as they are), from a shell where anything created would be
    // readable and writable by anyone.
    const dir = (name: string) => path.join(root, 'private', name);
    const env = {
      QWOTY_DATA_DIR: dir('data'),
      QWOTY_SITE_DIR: dir('site'),
      QWOTY_SITE_CACHE_DIR: dir('cache'),
    };
    const run = await nightly(env, '000');
    expect(run.code, run.output).toBe(ExitCode.ok);
    const { versionsDir } = siteFolder(dir('site'));
    const publicFiles = await readdir(path.join(import.meta.dirname, '..', 'public'));
    for (const folder of [dir('data'), versionsDir, dir('cache')]) {
      const modes = await listModes(folder);
      expect(modes.length).toBeGreaterThan(10);
      // Astro copies public/ with the checkout's modes: nothing personal, and in folders only the owner opens.
      const fromPublic = new RegExp(`(^|/)(${publicFiles.join('|').replaceAll('.', '\\.')}) 0644$`);
      expect(
        notOwnerOnly(modes).filter((entry) => !fromPublic.test(entry)),
        folder,
      ).toEqual([]);
    }
    expect(
      (await listModes(versionsDir)).filter((entry) => entry.path.endsWith('/index.html')).length,
    ).toBeGreaterThan(10);
  });

  test('builds nothing when the fetch fails, keeping the last good snapshot and site', async () => {
    const siteBefore = await stat(path.join(root, 'site', 'index.html'));
    const dataBefore = await readFile(path.join(root, 'data', 'contacts.json'));
    const run = await nightly({ QWOTY_API_TOKEN: 'a-revoked-token' });
    expect(run.code).toBe(ExitCode.auth);
    expect(run.output).toMatch(/nightly failed: GET .* answered 401.*Check QWOTY_API_TOKEN/);
    expect((await stat(path.join(root, 'site', 'index.html'))).mtimeMs).toBe(siteBefore.mtimeMs);
    expect(await readFile(path.join(root, 'data', 'contacts.json'))).toEqual(dataBefore);
    expect(await summary()).toMatchObject({
      status: 'failed',
      exit_code: ExitCode.auth,
      error: expect.stringMatching(/answered 401.*Check QWOTY_API_TOKEN/),
      counts: null,
      site_dir: null,
    });
    expect(await readFile(path.join(root, 'step-summary.md'), 'utf8')).toMatch(
      /### ❌ Qwoty contacts snapshot failed/,
    );
  });

  test('exits 7 when the site cannot be built, after publishing the snapshot', async () => {
    const run = await nightly({ QWOTY_SITE_DIR: '/dev/null/site' });
    expect(run.code, run.output).toBe(ExitCode.build);
    expect(run.output).toMatch(/The site build failed .* the last good site in \/dev\/null\/site is kept/);
    expect(await summary()).toMatchObject({
      status: 'failed',
      exit_code: ExitCode.build,
      counts: { contacts: 40 },
    });
  });

  test('names customers by id only in the summary, the job summary and the log, also one kept from an earlier night', async () => {
    const { snapshot } = await readSnapshot(path.join(root, 'data'));
    const kept = snapshot.customers.find((customer) => customer.name);
    if (!kept?.name) throw new Error('the snapshot has no named customer');
    server.setFaults([{ path: `/customers/${kept.id}`, kind: 'serverError', status: 503 }]);
    let run: Awaited<ReturnType<typeof nightly>>;
    try {
      run = await nightly({});
    } finally {
      server.setFaults([]);
    }
    expect(run.code, run.output).toBe(ExitCode.ok);
    expect(await summary()).toMatchObject({ freshness: { reused: 1, oldest: { id: kept.id } } });
    expect(run.output).toContain(`kept from an earlier night (the oldest, ${kept.id}, read`);
    for (const text of [
      run.output,
      await readFile(path.join(root, 'data', 'run-summary.json'), 'utf8'),
      await readFile(path.join(root, 'step-summary.md'), 'utf8'),
    ]) {
      expect(text).not.toContain(kept.name);
    }
  });

  test('runs one nightly at a time, and a killed one leaves no build behind and no site switched', async () => {
    const site = path.join(root, 'site');
    const liveBefore = await realpath(site);
    const first = startNightly({});
    const build = await waitFor('the site build to start', async () => (await childrenOf(first.pid))[0]);
    expect(await summary()).toMatchObject({
      status: 'running',
      run_id: expect.stringMatching(`-${first.pid}$`),
    });
    const firstId = (await summary()).run_id;

    // A second nightly meanwhile: it stops before asking the API anything, and leaves the summary alone.
    const requestsBefore = server.stats().total;
    const second = await nightly({});
    expect(second.code, second.output).toBe(ExitCode.io);
    expect(second.output).toMatch(
      new RegExp(
        `nightly failed: Another run \\(process ${first.pid} on .+, since \\d{4}-.+\\) is publishing into`,
      ),
    );
    expect(server.stats().total).toBe(requestsBefore);
    expect(await summary()).toMatchObject({ status: 'running', run_id: firstId });

    // Killed during its build: the build goes away with it, and the site stays as it was. (Here its output
    // pipe breaks too; test/run-nightly.test.ts checks that the build watches its parent without that.)
    process.kill(first.pid, 'SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    await waitFor(
      'the orphaned build to stop',
      async () => (isProcessAlive(build) ? undefined : true),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await realpath(site)).toBe(liveBefore);

    // The next night says the killed one never finished, and builds and switches a site of its own.
    const third = await nightly({});
    expect(third.code, third.output).toBe(ExitCode.ok);
    expect(third.output).toContain(`warning: the run ${firstId} was killed before it finished`);
    expect(await summary()).toMatchObject({ status: 'ok', interrupted_run: firstId });
    expect(await realpath(site)).not.toBe(liveBefore);
    // Two nightlies and most of a third, on a shared machine.
  }, 180_000);
});
