/**
 * No 403 window: nginx runs its workers as `www-data`, the nightly runs as a service user of its own (made
 * with useradd, a member of www-data, as the README's "Install on a server" says) with
 * `QWOTY_SITE_GROUP=www-data`, and a probe asks for the home page, a customer page, a download and the search
 * data every 20 ms through three nightlies. Every answer is 200: each new site version is readable by the web
 * server's group before it is switched in.
 *
 * Needs root, useradd, setpriv, nginx and a `www-data` group; outside CI a missing one skips the test with a
 * message, in CI it fails.
 */
import { chown, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createQwotyServer, type QwotyServer } from '../../src/fake-api/server.ts';
import {
  createServiceUser,
  installDir,
  makeCheckout,
  runAs,
  type ServiceUser,
  whyNoServiceUsers,
} from '../../src/testing/server-kit.ts';
import { isInstalled, NGINX, type WebServer } from './web-servers.ts';

const inCi = Boolean(process.env.CI);
const WEB_GROUP = 'www-data';
const TOKEN = 'probe-test-token-0123456789';
const NIGHTS = 3;

async function groupId(name: string): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}

const reason =
  whyNoServiceUsers() ??
  (isInstalled(NGINX) ? undefined : `no ${NGINX.binary}`) ??
  ((await groupId(WEB_GROUP)) === undefined ? `no ${WEB_GROUP} group` : undefined);
if (reason && !inCi) console.warn(`Skipping the 403 probe through nightlies: ${reason}.`);

(reason && !inCi ? describe.skip : describe)(
  'the site as nginx (www-data) serves it while nightlies switch it',
  () => {
    let dir: string;
    let user: ServiceUser | undefined;
    let api: QwotyServer | undefined;
    let server: WebServer | undefined;
    let checkout: string;
    let siteDir: string;

    const nightly = async () => {
      if (!user) throw new Error('no user');
      const result = await runAs(user, ['./node_modules/.bin/node', 'scripts/nightly.ts'], {
        env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', LOGNAME: user.name },
        cwd: checkout,
      });
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    };

    beforeAll(async () => {
      if (reason) throw new Error(`CI must be able to run this test: ${reason}`);
      dir = await mkdtemp(path.join(tmpdir(), 'qwoty-probe-'));
      await installDir(dir, 0, 0, 0o755);
      user = await createServiceUser([WEB_GROUP]);
      checkout = path.join(dir, 'checkout');
      await makeCheckout(checkout, user);
      // The README's folder for the site: the service user's, the web server's group may enter it.
      const www = path.join(dir, 'www');
      await installDir(www, user.uid, (await groupId(WEB_GROUP)) ?? -1, 0o750);
      siteDir = path.join(www, 'site');
      api = await createQwotyServer({ token: TOKEN, contacts: 40, seed: 3 });
      const env = [
        `QWOTY_API_TOKEN=${TOKEN}`,
        `QWOTY_API_URL=${api.url}`,
        `QWOTY_SITE_DIR=${siteDir}`,
        `QWOTY_SITE_GROUP=${WEB_GROUP}`,
        '',
      ];
      await writeFile(path.join(checkout, '.env'), env.join('\n'), { mode: 0o600 });
      await chown(path.join(checkout, '.env'), user.uid, user.gid);
      // A first night, so there is a site to serve.
      await nightly();
      server = await NGINX.start({ root: siteDir, workerUser: WEB_GROUP });
    });

    afterAll(async () => {
      await server?.stop();
      await api?.close();
      await user?.remove();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test(`answers 200 to every request, every 20 ms, through ${NIGHTS} nightlies`, async () => {
      if (!server) throw new Error('no server');
      const live = path.resolve(path.dirname(siteDir), await readlink(siteDir));
      const customer = (await readdir(path.join(live, 'customers'))).find((name) => !name.includes('.'));
      const search = (await readdir(path.join(live, 'search'))).find((name) => name.endsWith('.json'));
      const paths = ['/', `/customers/${customer}/`, '/downloads/contacts.csv', `/search/${search}`];
      expect(customer && search).toBeTruthy();

      const answers: { path: string; status: number }[] = [];
      let probing = true;
      const probe = (async () => {
        while (probing) {
          const round = paths.map(async (p) => {
            const response = await fetch(`${server?.url}${p}`);
            await response.arrayBuffer();
            answers.push({ path: p, status: response.status });
          });
          await Promise.all([...round, new Promise((resolve) => setTimeout(resolve, 20))]);
        }
      })();

      const versions = new Set([await readlink(siteDir)]);
      try {
        for (let night = 1; night <= NIGHTS; night += 1) {
          await nightly();
          versions.add(await readlink(siteDir));
        }
      } finally {
        probing = false;
        await probe;
      }
      // Each night switched in a new version while the probe ran.
      expect(versions.size).toBe(NIGHTS + 1);
      const refused = answers.filter((answer) => answer.status !== 200);
      expect(refused).toEqual([]);
      expect(answers.length).toBeGreaterThan(NIGHTS * paths.length * 10);
    }, 600_000);
  },
);
