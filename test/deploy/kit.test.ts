/**
 * The server kit in `deploy/`, each file checked the way it will be used: the systemd units by
 * `systemd-analyze` (verify, and a security exposure of at most 2.0), the unit's ExecStart run as a service
 * user made with `useradd --system` with the unit's environment and only its ReadWritePaths writable, the cron
 * line run as cron runs it (`env -i`, `/bin/sh`, that user) against the embedded API, and the logrotate
 * snippet by logrotate.
 *
 * Outside CI, a test skips itself with a message when it is not run as root or a tool is missing; in CI
 * (`CI` set, run as root by .ci/run) that fails instead.
 */
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQwotyServer, type QwotyServer } from '../../src/fake-api/server.ts';
import {
  type CommandResult,
  createServiceUser,
  installDir,
  KIT,
  makeCheckout,
  parseEnvLines,
  placeKitFile,
  ROOT,
  run,
  runAs,
  type ServiceUser,
  whyNoServiceUsers,
} from '../../src/testing/server-kit.ts';

const inCi = Boolean(process.env.CI);
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const LOGROTATE = '/usr/sbin/logrotate';
const STRACE = '/usr/bin/strace';
const TOKEN = 'kit-test-token-0123456789';
const NIGHT_TIMEOUT = 180_000;

const deployFile = (name: string) => readFile(path.join(ROOT, 'deploy', name), 'utf8');

/** `describe`, or `describe.skip` with the reason printed, outside CI; in CI a missing tool fails. */
function suiteNeeding(what: string, reason: string | undefined) {
  if (reason && !inCi) {
    console.warn(`Skipping ${what}: ${reason}.`);
    return describe.skip;
  }
  return describe;
}

const whyNoSystemdAnalyze = existsSync(SYSTEMD_ANALYZE) ? undefined : `no ${SYSTEMD_ANALYZE} (systemd)`;

/** A unit file's `[Section]` → `Key` → every value, comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = line.match(/^\[(.+)\]$/);
    if (section?.[1]) {
      current = new Map();
      sections.set(section[1], current);
      continue;
    }
    const [, key = '', value = ''] = line.match(/^([^=]+?)\s*=\s*(.*)$/) ?? [];
    current.set(key, [...(current.get(key) ?? []), value]);
  }
  return sections;
}

/** The one value of `key` in `[section]`, failing when there is none or several. */
function one(unit: Map<string, Map<string, string[]>>, section: string, key: string): string {
  const values = unit.get(section)?.get(key) ?? [];
  expect(values, `${section}.${key}`).toHaveLength(1);
  return String(values[0]);
}

/** Adds the system calls of a `SystemCallFilter=` name (`@system-service`, nested groups, or a call) to `into`. */
async function expandSyscallFilter(name: string, into: Set<string>): Promise<void> {
  if (!name.startsWith('@')) {
    into.add(name);
    return;
  }
  const listed = await run(SYSTEMD_ANALYZE, ['syscall-filter', '--no-pager', name]);
  expect(listed.code, listed.stderr).toBe(0);
  for (const line of listed.stdout.split('\n')) {
    const entry = line.match(/^\s+(@?[a-z_0-9-]+)$/)?.[1];
    if (entry && !into.has(entry)) {
      into.add(entry);
      if (entry.startsWith('@')) await expandSyscallFilter(entry, into);
    }
  }
}

describe('deploy/qwoty-nightly.service', () => {
  test('sets the user, the umask, the environment file and the hardening a one-shot network client can live with', async () => {
    const unit = parseUnit(await deployFile('qwoty-nightly.service'));
    const expected: Record<string, string> = {
      Type: 'oneshot',
      User: KIT.user,
      Group: KIT.user,
      UMask: '0077',
      WorkingDirectory: KIT.checkout,
      EnvironmentFile: `${KIT.checkout}/.env`,
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallFilter: '@system-service',
    };
    for (const [key, value] of Object.entries(expected)) expect(one(unit, 'Service', key), key).toBe(value);
    // The data, the caches and the site's folder, nothing else (not the checkout, not the .env).
    expect(one(unit, 'Service', 'ReadWritePaths').split(' ')).toEqual([
      `${KIT.checkout}/data`,
      `${KIT.checkout}/.cache`,
      `${KIT.checkout}/.astro`,
      KIT.www,
    ]);
    // V8 compiles code at run time: W^X would kill it.
    expect(unit.get('Service')?.has('MemoryDenyWriteExecute')).toBe(false);
    expect(one(unit, 'Unit', 'OnFailure')).toBe('qwoty-nightly-failure@%n.service');
    expect(one(unit, 'Service', 'ExecStart')).toBe(
      `${KIT.checkout}/node_modules/.bin/node scripts/nightly.ts`,
    );
  });
});

describe('deploy/qwoty-nightly.timer', () => {
  test('runs every night, catches up a missed one, and spreads the start', async () => {
    const unit = parseUnit(await deployFile('qwoty-nightly.timer'));
    expect(one(unit, 'Timer', 'OnCalendar')).toMatch(/^\*-\*-\* \d\d:\d\d:\d\d$/);
    expect(one(unit, 'Timer', 'Persistent')).toBe('true');
    expect(one(unit, 'Timer', 'RandomizedDelaySec')).toMatch(/^\d+(min|s|h)?$/);
    expect(one(unit, 'Install', 'WantedBy')).toBe('timers.target');
  });
});

suiteNeeding('the systemd-analyze checks of the units', whyNoSystemdAnalyze)('systemd-analyze', () => {
  let dir: string;
  const UNITS = ['qwoty-nightly.service', 'qwoty-nightly.timer', 'qwoty-nightly-failure@.service'];

  beforeAll(async () => {
    // The units as shipped but for the checkout, which must exist for verify: this one.
    dir = await mkdtemp(path.join(tmpdir(), 'qwoty-units-'));
    const place = { checkout: ROOT.replace(/\/$/, ''), www: dir, logDir: dir, user: KIT.user };
    for (const name of UNITS)
      await writeFile(path.join(dir, name), placeKitFile(await deployFile(name), place));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('verify finds nothing to say about the three units', async () => {
    const result = await run(SYSTEMD_ANALYZE, ['verify', '--man=no', ...UNITS.map((name) => `./${name}`)], {
      cwd: dir,
    });
    expect(result.stderr + result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  test('the timer fires every night', async () => {
    const unit = parseUnit(await deployFile('qwoty-nightly.timer'));
    const calendar = await run(SYSTEMD_ANALYZE, ['calendar', one(unit, 'Timer', 'OnCalendar')]);
    expect(calendar.code, calendar.stderr).toBe(0);
    expect(calendar.stdout).toMatch(/Next elapse:/);
  });

  test.each([
    ['qwoty-nightly.service', 2.0],
    ['qwoty-nightly-failure@.service', 2.0],
  ])('security --offline rates %s at most %d ("OK")', async (name, most) => {
    const result = await run(SYSTEMD_ANALYZE, ['security', '--offline=yes', '--no-pager', `./${name}`], {
      cwd: dir,
    });
    const [, level = '', rating = ''] =
      result.stdout.match(/Overall exposure level for \S+: (\d+\.\d+) (\S+)/) ?? [];
    expect(result.stdout, result.stderr).toMatch(/Overall exposure level/);
    expect(Number(level)).toBeLessThanOrEqual(most);
    expect(rating).toBe('OK');
  });
});

/** A night's API, the kit placed in a temporary folder, and the service user. */
interface Host {
  dir: string;
  checkout: string;
  www: string;
  logDir: string;
  user: ServiceUser;
  api: QwotyServer;
  /** The site folder the .env names. */
  siteDir: string;
}

async function prepareHost(options: { ownCheckout: boolean }): Promise<Host> {
  const dir = await mkdtemp(path.join(tmpdir(), 'qwoty-kit-'));
  await chmod(dir, 0o755);
  const user = await createServiceUser();
  const checkout = path.join(dir, 'srv', 'qwoty-directory');
  const www = path.join(dir, 'www', 'qwoty-directory');
  const logDir = path.join(dir, 'log', 'qwoty-directory');
  await makeCheckout(checkout, options.ownCheckout ? user : undefined);
  await chmod(path.dirname(checkout), 0o755);
  // As the README's install steps: the folders the run writes, the user's; the rest of the checkout is
  // read-only to it when `ownCheckout` is false (as systemd's ProtectSystem=strict makes it).
  for (const folder of ['data', '.cache', '.astro']) {
    await installDir(path.join(checkout, folder), user.uid, user.gid, 0o750);
  }
  await installDir(path.dirname(www), 0, 0, 0o755);
  await installDir(www, user.uid, user.gid, 0o750);
  await installDir(path.dirname(logDir), 0, 0, 0o755);
  await installDir(logDir, user.uid, 4 /* adm */, 0o2750);
  const api = await createQwotyServer({ token: TOKEN, contacts: 12, seed: 7 });
  const siteDir = path.join(www, 'site');
  const env = [`QWOTY_API_TOKEN=${TOKEN}`, `QWOTY_API_URL=${api.url}`, `QWOTY_SITE_DIR=${siteDir}`, ''];
  await writeFile(path.join(checkout, '.env'), env.join('\n'), { mode: 0o600 });
  const { chown } = await import('node:fs/promises');
  await chown(path.join(checkout, '.env'), user.uid, user.gid);
  return { dir, checkout, www, logDir, user, api, siteDir };
}

async function removeHost(host: Host | undefined) {
  if (!host) return;
  await host.api.close();
  await host.user.remove();
  await rm(host.dir, { recursive: true, force: true });
}

/** The published site: `site` links to a version holding an index page and the downloads. */
async function expectPublishedSite(siteDir: string) {
  expect((await lstat(siteDir)).isSymbolicLink()).toBe(true);
  const version = path.resolve(path.dirname(siteDir), await readlink(siteDir));
  expect(existsSync(path.join(version, 'index.html'))).toBe(true);
  expect(existsSync(path.join(version, 'downloads', 'contacts.csv'))).toBe(true);
}

const showing = (result: CommandResult) => `exit ${result.code}\n${result.stdout}\n${result.stderr}`;

suiteNeeding('the cron and service runs of the kit', whyNoServiceUsers())(
  'the kit run as its service user',
  () => {
    describe('deploy/qwoty-directory.cron', () => {
      let host: Host | undefined;
      let cron: { env: Record<string, string>; user: string; command: string };

      beforeAll(async () => {
        host = await prepareHost({ ownCheckout: true });
        const text = placeKitFile(await deployFile('qwoty-directory.cron'), {
          checkout: host.checkout,
          www: host.www,
          logDir: host.logDir,
          user: host.user.name,
        });
        const jobs = text.split('\n').filter((line) => /^[\d*]/.test(line));
        expect(jobs).toHaveLength(1);
        const [, user = '', command = ''] = String(jobs[0]).match(/^(?:\S+\s+){5}(\S+)\s+(.+)$/) ?? [];
        cron = {
          env: parseEnvLines(
            text
              .split('\n')
              .filter((line) => !/^[\d*]/.test(line))
              .join('\n'),
          ),
          user,
          command,
        };
      });

      afterAll(() => removeHost(host));

      /** The job as cron starts it: `env -i` but cron's few variables and the file's, /bin/sh -c, from /. */
      const runJob = (extra: Record<string, string> = {}) => {
        if (!host) throw new Error('no host');
        expect(cron.user).toBe(host.user.name);
        const env = {
          HOME: '/nonexistent',
          LOGNAME: host.user.name,
          SHELL: '/bin/sh',
          PATH: '/usr/bin:/bin',
          ...cron.env,
          ...extra,
        };
        return runAs(host.user, ['/bin/sh', '-c', cron.command], { env, cwd: '/' });
      };

      test(
        'writes its log, one timestamped header line a night, and publishes the site, night after night',
        async () => {
          if (!host) throw new Error('no host');
          const log = path.join(host.logDir, 'nightly.log');
          expect(cron.env.QWOTY_NIGHTLY_LOG).toBe(log);
          for (let night = 1; night <= 2; night += 1) {
            const result = await runJob();
            expect(result.code, showing(result)).toBe(0);
          }
          const text = await readFile(log, 'utf8');
          const headers = text.split('\n').filter((line) => line.startsWith('===='));
          expect(headers).toHaveLength(2);
          for (const header of headers) {
            expect(header).toMatch(/^==== \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ qwoty nightly on \S+ \(/);
          }
          expect(text).toMatch(/Nightly run summary/);
          expect(text).not.toContain(TOKEN);
          expect((await stat(log)).uid).toBe(host.user.uid);
          await expectPublishedSite(host.siteDir);
          expect(existsSync(path.join(host.checkout, 'data', 'current', 'manifest.json'))).toBe(true);
        },
        NIGHT_TIMEOUT,
      );

      test(
        'on a failed night, alerts through syslog and QWOTY_ALERT_COMMAND, without mail, and keeps the site',
        async () => {
          if (!host) throw new Error('no host');
          const before = await readlink(host.siteDir).catch(() => undefined);
          const alertFile = path.join(host.logDir, 'alert.txt');
          // The API answers 401 tonight: the token it holds is not the .env's.
          const down = await createQwotyServer({ token: 'another-token', contacts: 12 });
          try {
            const envFile = path.join(host.checkout, '.env');
            const good = await readFile(envFile, 'utf8');
            await writeFile(envFile, good.replace(host.api.url, down.url));
            try {
              const result = await runJob({
                QWOTY_ALERT_COMMAND: `echo "exit $QWOTY_EXIT_CODE, log $QWOTY_NIGHTLY_LOG" > ${alertFile}`,
              });
              expect(result.code, showing(result)).not.toBe(0);
              expect(await readFile(alertFile, 'utf8')).toBe(
                `exit ${result.code}, log ${path.join(host.logDir, 'nightly.log')}\n`,
              );
              expect(result.stderr).not.toMatch(/mail: not found|command not found/);
            } finally {
              await writeFile(envFile, good);
            }
          } finally {
            await down.close();
          }
          expect(await readlink(host.siteDir).catch(() => undefined)).toBe(before);
        },
        NIGHT_TIMEOUT,
      );

      test('stops with exit 73 and alerts, running nothing, when it cannot write its log', async () => {
        if (!host) throw new Error('no host');
        const alertFile = path.join(host.dir, 'alert-73.txt');
        await writeFile(alertFile, '');
        await chown(alertFile, host.user.uid, host.user.gid);
        const result = await runJob({
          QWOTY_NIGHTLY_LOG: '/var/log/qwoty-kit-test-nowhere/nightly.log',
          QWOTY_ALERT_COMMAND: `echo "exit $QWOTY_EXIT_CODE" > ${alertFile}`,
        });
        expect(result.code, showing(result)).toBe(73);
        expect(await readFile(alertFile, 'utf8')).toBe('exit 73\n');
      });
    });

    describe('deploy/qwoty-nightly.service run by hand as systemd would', () => {
      let host: Host | undefined;

      beforeAll(async () => {
        host = await prepareHost({ ownCheckout: false });
      });

      afterAll(() => removeHost(host));

      test(
        "ExecStart, as the unit's user with its environment, publishes, writing only into ReadWritePaths, with the system calls and sockets the unit allows",
        async () => {
          if (!host) throw new Error('no host');
          const place = { checkout: host.checkout, www: host.www, logDir: host.logDir, user: host.user.name };
          const unit = parseUnit(placeKitFile(await deployFile('qwoty-nightly.service'), place));
          expect(one(unit, 'Service', 'User')).toBe(host.user.name);
          const environmentFile = one(unit, 'Service', 'EnvironmentFile');
          // systemd reads EnvironmentFile= as root, then starts the command with the user's few variables.
          const env = {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
            HOME: '/nonexistent',
            USER: host.user.name,
            LOGNAME: host.user.name,
            SHELL: '/usr/sbin/nologin',
            ...Object.fromEntries(
              (unit.get('Service')?.get('Environment') ?? []).map((pair) => pair.split('=')),
            ),
            ...parseEnvLines(await readFile(environmentFile, 'utf8')),
          };
          const argv = one(unit, 'Service', 'ExecStart').split(' ');
          const readWrite = one(unit, 'Service', 'ReadWritePaths').split(' ');
          expect(readWrite).toEqual(expect.arrayContaining([path.join(host.checkout, 'data'), host.www]));
          // Only what ReadWritePaths lists is the user's; the rest of the checkout is root's, read-only to it,
          // as ProtectSystem=strict makes it: a write elsewhere fails the run.
          const owned = (await readdir(host.checkout)).map((name) => path.join(host?.checkout ?? '', name));
          for (const entry of owned) {
            if (!readWrite.includes(entry) && entry !== environmentFile) {
              expect((await lstat(entry)).uid, entry).toBe(0);
            }
          }
          // The second night under strace, when there is one: this machine has no systemd to apply the
          // unit's seccomp filter and address families, so the test compares what the night used with them.
          const trace = path.join(host.dir, 'night.strace');
          const traced = existsSync(STRACE);
          if (traced) {
            await writeFile(trace, '');
            await chown(trace, host.user.uid, host.user.gid);
          }
          if (!traced && inCi) throw new Error(`CI must install strace (${STRACE})`);
          if (!traced)
            console.warn(`No ${STRACE}: the night's system calls are not compared with the unit's.`);
          for (let night = 1; night <= 2; night += 1) {
            const wrap = night === 2 && traced ? [STRACE, '-f', '-qq', '-o', trace] : [];
            const result = await runAs(host.user, [...wrap, ...argv], {
              env,
              cwd: one(unit, 'Service', 'WorkingDirectory'),
              umask: one(unit, 'Service', 'UMask'),
            });
            expect(result.code, showing(result)).toBe(0);
            expect(result.stdout + result.stderr).not.toContain(TOKEN);
          }
          await expectPublishedSite(host.siteDir);
          expect(existsSync(path.join(host.checkout, 'data', 'current', 'manifest.json'))).toBe(true);
          if (!traced) return;

          const text = await readFile(trace, 'utf8');
          const used = new Set(
            [...text.matchAll(/^\d+ +([a-z_0-9]+)\(|<\.\.\. ([a-z_0-9]+) resumed>/gm)].map(
              ([, call, resumed]) => String(call ?? resumed),
            ),
          );
          expect(used.size).toBeGreaterThan(30);
          const allowed = new Set<string>();
          for (const filter of unit.get('Service')?.get('SystemCallFilter') ?? []) {
            expect(filter, 'an allow list, not a deny list').not.toMatch(/^~/);
            for (const name of filter.split(/\s+/)) await expandSyscallFilter(name, allowed);
          }
          expect([...used].filter((call) => !allowed.has(call))).toEqual([]);
          const families = new Set(
            [...text.matchAll(/\bsocket(?:pair)?\((AF_[A-Z0-9]+)/g)].map(([, f]) => f),
          );
          expect(families.has('AF_INET') || families.has('AF_INET6')).toBe(true);
          const restricted = one(unit, 'Service', 'RestrictAddressFamilies').split(' ');
          expect([...families].filter((family) => !restricted.includes(String(family)))).toEqual([]);
        },
        NIGHT_TIMEOUT,
      );
    });

    suiteNeeding('the logrotate check', existsSync(LOGROTATE) ? undefined : `no ${LOGROTATE}`)(
      'deploy/qwoty-directory.logrotate',
      () => {
        let host: Host | undefined;

        beforeAll(async () => {
          host = await prepareHost({ ownCheckout: false });
        });

        afterAll(() => removeHost(host));

        test('rotates the log as the service user and leaves a new one it can write, not world-readable', async () => {
          if (!host) throw new Error('no host');
          const place = { checkout: host.checkout, www: host.www, logDir: host.logDir, user: host.user.name };
          const config = path.join(host.dir, 'logrotate.conf');
          await writeFile(config, placeKitFile(await deployFile('qwoty-directory.logrotate'), place));
          const log = path.join(host.logDir, 'nightly.log');
          await writeFile(log, '==== a night\n');
          await chown(log, host.user.uid, 4);
          const state = path.join(host.dir, 'logrotate.state');
          const result = await run(LOGROTATE, ['--force', '--state', state, config]);
          expect(result.code, showing(result)).toBe(0);
          expect(await readFile(`${log}.1`, 'utf8')).toBe('==== a night\n');
          const fresh = await stat(log);
          expect(fresh.uid).toBe(host.user.uid);
          expect(fresh.mode & 0o777).toBe(0o640);
        });
      },
    );
  },
);
