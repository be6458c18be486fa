/**
 * `npm run demo` (src/fake-api/demo.ts): the embedded API, the real `npm run fetch` against it in a child
 * process, then the site build. The site build here is a stand-in script that reports what it was given and
 * what it found (the real one, an Astro build, is what `npm run demo` and the e2e tests run): the demo is
 * pointed at a scratch project folder whose `scripts/fetch.ts` is the real entry point.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childEnv, type DemoOptions, demoSummary, runDemo } from '../src/fake-api/demo.ts';
import { DEMO_TOKEN } from '../src/fake-api/server.ts';
import { ExitCode, QwotyError } from '../src/shared/errors.ts';

const REAL_FETCH = path.join(import.meta.dirname, '..', 'scripts', 'fetch.ts');
const REAL_TOKEN = 'qwoty_live_the_real_token_that_must_stay_home';

/** Says what the site build was given and what it found, then exits with STAND_IN_EXIT. */
const STAND_IN_BUILD = `import { readFileSync } from 'node:fs';
import path from 'node:path';
const manifest = JSON.parse(readFileSync(path.join(process.env.QWOTY_DATA_DIR ?? '', 'current', 'manifest.json'), 'utf8'));
console.log(JSON.stringify({
  token: process.env.QWOTY_API_TOKEN ?? null,
  site: process.env.QWOTY_SITE_DIR,
  cache: process.env.QWOTY_SITE_CACHE_DIR,
  cwd: process.cwd(),
  contacts: manifest.counts.contacts,
  demo: manifest.source.demo,
}));
process.exitCode = Number(process.env.STAND_IN_EXIT ?? 0);
`;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'qwoty-demo-'));
  await mkdir(path.join(root, 'scripts'));
  await writeFile(path.join(root, 'scripts', 'fetch.ts'), `import ${JSON.stringify(REAL_FETCH)};\n`);
  await writeFile(path.join(root, 'scripts', 'build-site.ts'), STAND_IN_BUILD);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs the demo in the scratch project, its lines and its children's output collected. */
async function demo(env: Record<string, string> = {}) {
  const lines: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const options: DemoOptions = {
    contacts: 40,
    seed: 3,
    root,
    node: process.execPath,
    env: { PATH: process.env.PATH ?? '', CI: 'true', QWOTY_API_TOKEN: REAL_TOKEN, ...env },
    cwd: root,
    log: (line) => lines.push(line),
    output: { stdout, stderr },
  };
  const outcome = await runDemo(options).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { outcome, lines, stdout: out.join(''), stderr: err.join('') };
}

describe('runDemo', () => {
  test('fetches from the embedded API with the demo token, then builds without any token', {
    timeout: 120_000,
  }, async () => {
    const run = await demo();
    expect(run.outcome, run.stderr).toBeUndefined();
    expect(run.lines[0]).toMatch(
      /^Embedded Qwoty API with 40 generated contacts at http:\/\/127\.0\.0\.1:\d+\/api$/,
    );
    expect(run.stdout).toMatch(/^Published \d+ contacts of \d+ customers \(1 rejected, 1 retries, /m);
    const built = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(built).toMatchObject({
      token: null,
      site: path.join(root, '.demo', 'site'),
      cache: path.join(root, '.demo', 'site-cache'),
      cwd: root,
      contacts: 39,
      demo: true,
    });
    expect(`${run.stdout}${run.stderr}${run.lines.join('\n')}`).not.toContain(REAL_TOKEN);
    const published = await readFile(path.join(root, '.demo', 'data', 'current', 'contacts.json'), 'utf8');
    expect(published).not.toContain(REAL_TOKEN);
    // The API is gone once the fetch is done.
    const url = /at (http\S+)$/.exec(run.lines[0] ?? '')?.[1] ?? '';
    await expect(fetch(`${url}/contacts`)).rejects.toThrow();
    expect(run.lines.at(-1)).toBe(
      demoSummary({ data: path.join(root, '.demo', 'data'), site: path.join(root, '.demo', 'site') }, root),
    );
  });

  test('stops with the exit code of a step that failed, and says which', { timeout: 120_000 }, async () => {
    const run = await demo({ STAND_IN_EXIT: String(ExitCode.config) });
    expect(run.outcome).toBeInstanceOf(QwotyError);
    expect(run.outcome).toMatchObject({
      message: `The demo's build-site step failed (exit ${ExitCode.config}); see its output above.`,
      exitCode: ExitCode.config,
    });
    expect(run.lines.some((line) => line.startsWith('\nDemo ready'))).toBe(false);
  });
});

describe('childEnv', () => {
  test("passes the demo's environment on without its real token, the demo's settings on top", () => {
    const env = childEnv(
      { PATH: '/bin', QWOTY_API_TOKEN: REAL_TOKEN, QWOTY_DATA_DIR: '/elsewhere', UNSET: undefined },
      { QWOTY_DATA_DIR: '/demo/data' },
    );
    expect(env).toEqual({ PATH: '/bin', QWOTY_DATA_DIR: '/demo/data' });
    expect(childEnv({ QWOTY_API_TOKEN: REAL_TOKEN }, { QWOTY_API_TOKEN: DEMO_TOKEN })).toEqual({
      QWOTY_API_TOKEN: DEMO_TOKEN,
    });
  });
});

describe('demoSummary', () => {
  test('names the folders relative to where the demo was started', () => {
    const text = demoSummary({ data: '/p/.demo/data', site: '/p/.demo/site' }, '/p');
    expect(text).toContain('snapshot   .demo/data/  contacts.json');
    expect(text).toContain('site       .demo/site/  serve it with: npm run preview:demo');
    expect(demoSummary({ data: '/p/.demo/data', site: '/p/.demo/site' }, '/p/.demo/data')).toContain(
      'snapshot   ./  ',
    );
  });
});
