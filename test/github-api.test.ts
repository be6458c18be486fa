import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type FakeGitHub, startFakeGitHub } from '../src/testing/fake-github.ts';

const SCRIPT = new URL('../.github/scripts/github-api.sh', import.meta.url).pathname;
const RUN_URL = 'https://github.com/acme/contacts/actions/runs/42';

let github: FakeGitHub;
beforeEach(async () => {
  github = await startFakeGitHub();
});
afterEach(() => github.close());

/** Runs the script as a workflow step would, against the fake API; resolves with its exit code and output. */
function run(command: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      'bash',
      [SCRIPT, command],
      {
        env: {
          PATH: process.env.PATH,
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: github.repository,
          GITHUB_RUN_ID: '42',
          GH_TOKEN: github.token,
          RUN_URL,
          ...env,
        },
        timeout: 20_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(child.exitCode ?? 1) : 0, stdout, stderr }),
    );
  });
}

const failedSummary = JSON.stringify({
  schema_version: 1,
  status: 'failed',
  exit_code: 5,
  error: '12 of 100 contacts are invalid, more than 10%',
  counts: null,
  warnings: ['customer 3f2a… set aside'],
  snapshot_dir: '/home/runner/work/contacts/data',
  site_dir: null,
});

describe('github-api.sh pages-private', () => {
  test('passes when GitHub says the Pages site is not public', async () => {
    github.pages = { public: false, build_type: 'workflow' };
    const result = await run('pages-private');
    expect(result.code).toBe(0);
    expect(github.requests).toEqual([{ line: 'GET /repos/acme/contacts/pages', authorised: true }]);
  });

  test.each([
    ['public', { public: true }, 'public: true'],
    ['without a visibility (a plan without private Pages)', { build_type: 'workflow' }, 'public: null'],
  ])('refuses a site that is %s, saying why and what to set', async (_, pages, shown) => {
    github.pages = pages;
    const result = await run('pages-private');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::GitHub Pages is not private (${shown})`);
    expect(result.stdout).toContain('set the Pages visibility to Private');
  });

  test('refuses when Pages is not set up at all, and never prints the token', async () => {
    github.pages = undefined;
    const result = await run('pages-private');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).not.toContain(github.token);
  });
});

describe('github-api.sh wait-earlier-runs', () => {
  test('returns at once when no earlier run is going on, whatever later runs do', async () => {
    github.runs = [
      { id: 40, status: 'completed' },
      { id: 42, status: 'in_progress' },
      { id: 43, status: 'queued' },
    ];
    expect((await run('wait-earlier-runs', { WAIT_SECONDS: '0.1' })).code).toBe(0);
  });

  test('waits until the earlier run is done', async () => {
    github.runs = [
      { id: 41, status: 'in_progress' },
      { id: 42, status: 'in_progress' },
    ];
    const waiting = run('wait-earlier-runs', { WAIT_SECONDS: '0.1' });
    await expect.poll(() => github.requests.length).toBeGreaterThanOrEqual(3);
    (github.runs[0] as { status: string }).status = 'completed';
    const result = await waiting;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Waiting for the earlier run(s) 41 of this workflow to finish.');
  });
});

describe('github-api.sh report-outcome', () => {
  test('opens one issue on a failure, titled with the exit code and the error, with the run summary', async () => {
    const result = await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: failedSummary });
    expect(result.code).toBe(0);
    expect(github.issues).toHaveLength(1);
    const [issue] = github.issues;
    expect(issue?.title).toBe('Nightly failed: exit 5, 12 of 100 contacts are invalid, more than 10%');
    expect(issue?.body).toContain(RUN_URL);
    expect(issue?.body).toContain('"exit_code":5');
    // Where the runner keeps its files says nothing useful to the team.
    expect(issue?.body).not.toContain('/home/runner');
  });

  test('updates the open issue on the next failure instead of opening another, and comments', async () => {
    await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: failedSummary });
    const next = JSON.stringify({ ...JSON.parse(failedSummary), exit_code: 4, error: 'the API is down' });
    await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: next });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]?.title).toBe('Nightly failed: exit 4, the API is down');
    expect(github.issues[0]?.comments).toEqual([`Nightly failed: exit 4, the API is down: ${RUN_URL}`]);
  });

  test('says so when the run stopped before writing its summary', async () => {
    await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: '' });
    expect(github.issues[0]?.title).toMatch(/^Nightly failed: no run summary/);
  });

  test('closes the issue on the next success, and does nothing on a success with none open', async () => {
    expect((await run('report-outcome', { OUTCOME: 'success' })).code).toBe(0);
    expect(github.requests.map((request) => request.line.split(' ')[0])).toEqual(['GET']);

    await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: failedSummary });
    await run('report-outcome', { OUTCOME: 'success' });
    expect(github.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(github.issues[0]?.comments).toEqual([`Fixed: ${RUN_URL} succeeded.`]);
  });

  test('leaves alone an issue with the same title that a person opened', async () => {
    github.issues.push({
      number: 1,
      title: 'Nightly failed: why?',
      body: '',
      state: 'open',
      user: { login: 'someone' },
      comments: [],
    });
    await run('report-outcome', { OUTCOME: 'failure', RUN_SUMMARY: failedSummary });
    expect(github.issues).toHaveLength(2);
    expect(github.issues[0]?.title).toBe('Nightly failed: why?');
  });
});
