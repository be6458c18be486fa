import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadDotEnv } from '../src/cli/run-main.ts';
import { createQwotyServer, type QwotyServer } from '../src/fake-api/server.ts';
import { ExitCode } from '../src/shared/errors.ts';

const FETCH = path.join(import.meta.dirname, '..', 'scripts', 'fetch.ts');
const GOOD = 'qwoty_dotenv_good_token_0123456789';
const STALE = 'qwoty_dotenv_stale_token_9876543210';
let server: QwotyServer;
let root: string;

beforeAll(async () => {
  server = await createQwotyServer({ contacts: 5, token: GOOD });
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-dotenv-'));
  await writeFile(path.join(root, '.env'), `QWOTY_API_TOKEN=${GOOD}\nQWOTY_RETRIES=1\n`);
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('loadDotEnv', () => {
  test('fills in what the environment does not set, and lets the environment win, saying so without a value', () => {
    const file = path.join(root, '.env');
    const env: NodeJS.ProcessEnv = { QWOTY_API_TOKEN: STALE };
    const notes = loadDotEnv(file, env);
    expect(env).toEqual({ QWOTY_API_TOKEN: STALE, QWOTY_RETRIES: '1' });
    expect(notes).toEqual([
      `QWOTY_API_TOKEN is set both in the environment and in ${file}, with different values: the environment's is used (unset it there to use ${file}).`,
    ]);
  });

  test('says nothing when both give the same value, or when there is no .env', () => {
    const env: NodeJS.ProcessEnv = { QWOTY_API_TOKEN: ` ${GOOD}\n`, QWOTY_RETRIES: '1' };
    expect(loadDotEnv(path.join(root, '.env'), env)).toEqual([]);
    expect(loadDotEnv(path.join(root, 'missing.env'), env)).toEqual([]);
  });
});

/** `npm run fetch` from a checkout whose .env holds the good token, with `env` as its environment. */
function fetchFrom(env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [FETCH], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', CI: 'true', QWOTY_API_URL: server.url, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the token source', () => {
  test('a stale token in the environment wins over .env, and the run says which source it used', async () => {
    const run = await fetchFrom({ QWOTY_API_TOKEN: STALE });
    expect(run.code, run.output).toBe(ExitCode.auth);
    expect(run.output).toMatch(
      /warning: QWOTY_API_TOKEN is set both in the environment and in \.env, with different values: the environment's is used/,
    );
    expect(run.output).not.toContain(GOOD);
    expect(run.output).not.toContain(STALE);
  });

  test("without one in the environment, .env's is used without a word", async () => {
    const run = await fetchFrom({});
    expect(run.code, run.output).toBe(ExitCode.ok);
    expect(run.output).not.toContain('QWOTY_API_TOKEN is set');
  });
});
