import { spawn } from 'node:child_process';
import { lstat, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { type NightlyOptions, runNightly } from '../src/nightly/run-nightly.ts';
import { lockDataDir } from '../src/pipeline/publish.ts';
import { readRunSummary, writeRunSummary } from '../src/pipeline/run-summary.ts';
import { ExitCode } from '../src/shared/errors.ts';
import { createMemoryReporter } from '../src/shared/reporter.ts';
import type { RunSummary } from '../src/shared/schema/run-summary.ts';
import { useEmbeddedApi } from '../src/testing/embedded-api.ts';

const TOKEN = 'qwoty_run_nightly_test_token_0123456789';
const api = useEmbeddedApi(TOKEN, 'run-nightly');

/**
 * A stand-in for the site build, run as the real one is (a child process with the nightly's IPC channel):
 * it prints 30 lines on stdout and one on stderr, then kills itself with the signal in DIE_WITH.
 */
const DYING_BUILD = `
for (let i = 1; i <= 30; i += 1) console.log('build line ' + i);
console.error('build: about to die');
setTimeout(() => process.kill(process.pid, process.env.DIE_WITH), 50);
`;

async function night(
  options: Partial<NightlyOptions> & Pick<NightlyOptions, 'config'>,
): Promise<Awaited<ReturnType<typeof runNightly>> & { lines: string[] }> {
  const reporter = createMemoryReporter();
  const result = await runNightly({
    siteDir: path.join(api.dir(), 'site'),
    buildScript: path.join(import.meta.dirname, '..', 'scripts', 'build-site.ts'),
    node: process.execPath,
    env: {},
    reporter,
    tool: { name: 'test', version: '0' },
    pid: process.pid,
    verbose: false,
    redact: (text) => text,
    ...options,
  });
  return { ...result, lines: reporter.lines };
}

describe('runNightly', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    test(`names the signal that killed the site build (${signal}) and shows its last lines`, async () => {
      const server = await api.serve({ contacts: 20 });
      const buildScript = path.join(api.dir(), 'dying-build.mjs');
      await writeFile(buildScript, DYING_BUILD);
      const run = await night({ config: api.config(server), buildScript, env: { DIE_WITH: signal } });

      expect(run.failure?.message).toMatch(
        new RegExp(
          `^The site build was killed by ${signal}; the snapshot was published but the last good site in .* is kept\\. Its last lines:\\n`,
        ),
      );
      const tail = run.failure?.message.split('Its last lines:\n')[1]?.split('\n') ?? [];
      // The last 20 lines, whichever of stdout and stderr they came from.
      expect(tail).toHaveLength(20);
      expect(tail).toContain('  build line 30');
      expect(tail).toContain('  build: about to die');
      expect(tail).not.toContain('  build line 5');
      // Passed on as they came, too.
      expect(run.lines).toContain('build line 1\n');
      expect(run.summary).toMatchObject({ status: 'failed', exit_code: ExitCode.build, site_dir: null });
      expect(run.summary.error).toContain(`killed by ${signal}`);
      await expect(lstat(path.join(api.dir(), 'site'))).rejects.toThrow(/ENOENT/);
    });
  }

  test("counts a failed run's requests and retries, and keeps the warnings it logged", async () => {
    const server = await api.serve({
      contacts: 20,
      faults: [{ path: '/contacts', kind: 'serverError', status: 503 }],
    });
    const run = await night({ config: api.config(server, { QWOTY_RETRIES: '3' }) });

    expect(run.summary).toMatchObject({ status: 'failed', exit_code: ExitCode.unavailable, counts: null });
    const retried = run.lines.filter((line) => /warning: .*answered 503.*; retry \d/.test(line));
    expect(retried.length).toBeGreaterThanOrEqual(3);
    expect(run.summary.retries).toBe(retried.length);
    // Every request the API answered is counted: the contacts' tries, and the addresses' list beside them.
    expect(run.summary.requests).toBe(server.stats().total);
    expect(run.summary.requests).toBeGreaterThan(run.summary.retries);
    expect(run.summary.warnings).toEqual(retried.map((line) => line.replace(/^warning: /, '').trimEnd()));
    expect(await readRunSummary(api.dir())).toEqual(run.summary);
  });

  test('stops before fetching anything while another run holds the data folder, leaving its summary alone', async () => {
    const server = await api.serve({ contacts: 20 });
    const buildScript = path.join(api.dir(), 'no-build.mjs');
    await writeFile(buildScript, '');
    const theirs: RunSummary = {
      ...(await night({ config: api.config(server), buildScript })).summary,
      run_id: '20261207T021700Z-4242',
      status: 'running',
      exit_code: null,
      finished_at: null,
    };
    await writeRunSummary(api.dir(), theirs);
    const summaryBefore = await readFile(path.join(api.dir(), 'run-summary.json'), 'utf8');
    server.resetStats();
    // Held by a live process (this one), as a running nightly holds it from its first request to its site switch.
    const unlock = await lockDataDir(api.dir(), process.pid);
    try {
      const run = await night({ config: api.config(server), buildScript });
      expect(run.failure?.message).toMatch(
        new RegExp(
          `^Another run \\(process ${process.pid} on .+, since \\d{4}-\\d\\d-\\d\\dT.+\\) is publishing into .+ or building its site`,
        ),
      );
      expect(run.summary).toMatchObject({ status: 'failed', exit_code: ExitCode.io });
      expect(server.stats().total).toBe(0);
      expect(await readFile(path.join(api.dir(), 'run-summary.json'), 'utf8')).toBe(summaryBefore);
    } finally {
      await unlock();
    }
  });

  test('says so when the run before it never finished, and names it', async () => {
    const server = await api.serve({ contacts: 20 });
    const buildScript = path.join(api.dir(), 'no-build.mjs');
    await writeFile(buildScript, '');
    const first = await night({ config: api.config(server), buildScript });
    expect(first.summary.interrupted_run).toBeNull();
    // As a killed run leaves it: its summary still says "running".
    await writeRunSummary(api.dir(), {
      ...first.summary,
      run_id: '20261207T021700Z-4242',
      status: 'running',
      exit_code: null,
      finished_at: null,
    });
    const next = await night({ config: api.config(server), buildScript });
    expect(next.failure).toBeUndefined();
    expect(next.lines.join('')).toContain(
      'warning: the run 20261207T021700Z-4242 was killed before it finished',
    );
    expect(next.summary).toMatchObject({ status: 'ok', interrupted_run: '20261207T021700Z-4242' });
    expect(next.summary.run_id).toMatch(new RegExp(`^\\d{8}T\\d{6}Z-${process.pid}$`));
  });
});

describe("the nightly's site build", () => {
  test('stops, and switches no site in, as soon as the run that started it is gone', async () => {
    const server = await api.serve({ contacts: 20 });
    await api.fetch(server);
    // Its output goes to a file, not a pipe: the build must stop because its parent is gone, not because
    // writing to a closed pipe failed.
    const log = path.join(api.dir(), 'build.log');
    const out = await open(log, 'w');
    const child = spawn(
      process.execPath,
      [path.join(import.meta.dirname, '..', 'scripts', 'build-site.ts')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          CI: 'true',
          QWOTY_DATA_DIR: api.dir(),
          QWOTY_SITE_DIR: path.join(api.dir(), 'site'),
          QWOTY_SITE_CACHE_DIR: path.join(api.dir(), 'cache'),
        },
        stdio: ['ignore', out.fd, out.fd, 'ipc'],
      },
    );
    const ended = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      // Well into its build (a first build of this snapshot takes several seconds), the parent goes away.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      child.disconnect();
      expect(await ended).toBe(ExitCode.build);
    } finally {
      child.kill('SIGKILL');
      await out.close();
    }
    expect(await readFile(log, 'utf8')).toContain(
      'build: the run that started it is gone; stopping without switching the site.',
    );
    await expect(lstat(path.join(api.dir(), 'site'))).rejects.toThrow(/ENOENT/);
  });
});
