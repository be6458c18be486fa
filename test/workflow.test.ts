import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { replaceWorkflowSettings, WORKFLOW_FIXED_SETTINGS } from '../src/cli/workflow.ts';
import { NIGHTLY_COMMAND } from '../src/nightly/run-nightly.ts';
import type { Setting } from '../src/shared/command.ts';

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}

const source = await readFile(new URL('../.github/workflows/nightly.yml', import.meta.url), 'utf8');
const workflow = parse(source);
const job = workflow.jobs.snapshot;
const steps: Step[] = job.steps;
const ciSource = await readFile(new URL('../.github/workflows/ci.yml', import.meta.url), 'utf8');
const ci = parse(ciSource);
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

const CRYPT_SCRIPT = '.github/scripts/cache-crypt.sh';
const KEY_PRESENT = "steps.cache-key.outputs.present == 'true'";
const action = (step: Step) => step.uses?.split('@')[0] ?? '';
const nightly = steps.findIndex((step) => step.run === 'npm run nightly');
const cacheSteps = steps.filter((step) => action(step).startsWith('actions/cache'));
const cryptSteps = steps.filter((step) => step.run?.includes(CRYPT_SCRIPT));
/** The files a `cache-crypt.sh encrypt|decrypt` line of a step's script writes or reads. */
const cryptCalls = (step: Step) =>
  [...(step.run ?? '').matchAll(/cache-crypt\.sh (encrypt|decrypt) "?([^"\s]+)"? "?([^"\s]+)"?/g)].map(
    ([, verb = '', from = '', to = '']) =>
      verb === 'encrypt' ? { verb, folder: from, file: to } : { verb, file: from, folder: to },
  );

/** Every string in the workflow that mentions `secrets.`, with where it is (`jobs.snapshot.steps.5.env.X`). */
function secretReferences(node: unknown, at: string[] = []): { at: string[]; value: string }[] {
  if (typeof node === 'string') return node.includes('secrets.') ? [{ at, value: node }] : [];
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => secretReferences(value, [...at, key]));
}

/** Runs a step's script as GitHub does (`bash -e -o pipefail`), with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. */
async function runStep(step: Step, env: Record<string, string>, cwd?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'qwoty-step-'));
  try {
    const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        'bash',
        ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', step.run ?? ''],
        { env: { PATH: process.env.PATH, ...env, ...files }, ...(cwd ? { cwd } : {}) },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    const read = (file: string) => readFile(file, 'utf8').catch(() => '');
    return {
      stdout,
      output: await read(files.GITHUB_OUTPUT),
      summary: await read(files.GITHUB_STEP_SUMMARY),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the nightly GitHub Actions workflow', () => {
  test('is valid against the workflow schema, like the CI workflow', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
    expect(validateWorkflow(ciSource).errors).toEqual([]);
  });

  test('runs on a schedule and on demand', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
  });

  test('runs the documented nightly command, with the token from a secret in that step alone', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    expect(steps[nightly]?.env?.QWOTY_API_TOKEN).toBe('${{ secrets.QWOTY_API_TOKEN }}');
    expect(pkg.scripts.nightly).toBe('node scripts/nightly.ts');
    const tokenSteps = steps.filter((step) => JSON.stringify(step).includes('secrets.QWOTY_API_TOKEN'));
    expect(tokenSteps).toEqual([steps[nightly]]);
    expect(source).not.toMatch(/\b(qwoty|qwt)_[a-z0-9_]{16,}/);
  });

  test('puts secrets only in the env of its own run steps: not at workflow or job level, not near npm ci or an action', () => {
    expect(workflow.env).toBeUndefined();
    const references = secretReferences(workflow);
    expect(references.length).toBeGreaterThan(0);
    for (const { at, value } of references) {
      const [jobs, jobName, inSteps, index, inEnv] = at;
      expect([jobs, inSteps, inEnv], value).toEqual(['jobs', 'steps', 'env']);
      const step: Step | undefined = workflow.jobs[String(jobName)].steps[Number(index)];
      expect(step?.uses, value).toBeUndefined();
      expect(step?.run, value).not.toMatch(/npm (ci|install)/);
    }
    for (const each of Object.values(workflow.jobs) as { env?: object }[]) {
      expect(JSON.stringify(each.env ?? {})).not.toContain('secrets.');
    }
  });

  test('gives the cache key only to the steps that run cache-crypt.sh, and to none with the token', () => {
    const keySteps = steps.filter((step) => step.env?.QWOTY_CACHE_KEY);
    expect(keySteps.length).toBeGreaterThanOrEqual(3);
    for (const step of keySteps) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
      expect(step.env?.QWOTY_CACHE_KEY).toBe('${{ secrets.QWOTY_CACHE_KEY }}');
      expect(step.run).toContain(CRYPT_SCRIPT);
      expect(step.env).not.toHaveProperty('QWOTY_API_TOKEN');
    }
    expect(keySteps).toEqual(cryptSteps);
  });

  test('caches and uploads only encrypted files', () => {
    const encrypted = /\.(gpg|age|enc)$/;
    expect(cacheSteps.length).toBe(4);
    for (const step of cacheSteps) {
      for (const path of String(step.with?.path).split('\n').filter(Boolean)) {
        expect(path, step.name).toMatch(encrypted);
      }
    }
    const uploads = steps.filter((step) => action(step) === 'actions/upload-artifact');
    expect(uploads.length).toBeGreaterThan(0);
    for (const step of uploads) {
      for (const path of String(step.with?.path).split('\n').filter(Boolean)) {
        expect(path, step.name).toMatch(encrypted);
      }
    }
  });

  test('decrypts each restored file before the nightly build and encrypts each saved one after it, when the key secret is set', async () => {
    const check = steps.find((step) => step.id === 'cache-key');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    expect(check?.env).toMatchObject({ HAS_CACHE_KEY: "${{ secrets.QWOTY_CACHE_KEY != '' }}" });
    expect(steps.indexOf(check as Step)).toBeLessThan(steps.indexOf(cacheSteps[0] as Step));
    for (const step of [...cacheSteps, ...cryptSteps]) expect(step.if, step.name).toContain(KEY_PRESENT);

    for (const restore of cacheSteps.filter((step) => action(step) === 'actions/cache/restore')) {
      const decrypt = cryptSteps.find((step) =>
        cryptCalls(step).some((call) => call.verb === 'decrypt' && call.file === restore.with?.path),
      );
      expect(decrypt, `decrypts ${restore.with?.path}`).toBeDefined();
      expect(decrypt?.if).toContain(`steps.${restore.id}.outputs.cache-matched-key != ''`);
      expect(steps.indexOf(restore)).toBeLessThan(steps.indexOf(decrypt as Step));
      expect(steps.indexOf(decrypt as Step)).toBeLessThan(nightly);
    }
    for (const save of cacheSteps.filter((step) => action(step) === 'actions/cache/save')) {
      const encrypt = cryptSteps.find((step) =>
        cryptCalls(step).some((call) => call.verb === 'encrypt' && call.file === save.with?.path),
      );
      expect(encrypt, `encrypts ${save.with?.path}`).toBeDefined();
      expect(steps.indexOf(encrypt as Step)).toBeGreaterThan(nightly);
      expect(steps.indexOf(encrypt as Step)).toBeLessThan(steps.indexOf(save));
      expect(save.if).toContain('success()');
    }
    const script = await stat(new URL(`../${CRYPT_SCRIPT}`, import.meta.url));
    expect(script.mode & 0o111, 'cache-crypt.sh is executable').not.toBe(0);
  });

  test("keeps the snapshot and the site build cache at the folders the nightly's build uses", () => {
    expect(job.env).toMatchObject({ QWOTY_DATA_DIR: 'data', QWOTY_SITE_CACHE_DIR: '.cache/astro' });
    const calls = cryptSteps.flatMap(cryptCalls);
    for (const folder of ['$QWOTY_DATA_DIR', '$QWOTY_SITE_CACHE_DIR']) {
      expect(calls.filter((call) => call.folder === folder).map((call) => call.verb)).toEqual([
        'decrypt',
        'encrypt',
      ]);
    }
    const encryptDownloads = calls.find((call) => call.file.endsWith('downloads.tar.gpg'));
    const upload = steps.find((step) => step.with?.name === 'qwoty-contacts-snapshot');
    expect(upload?.with?.path).toBe(encryptDownloads?.file);
  });

  test('fails without the key secret, unless QWOTY_NO_BASELINE says no baseline is kept on purpose', async () => {
    const check = steps.find((step) => step.id === 'cache-key') as Step;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    expect(check.env?.NO_BASELINE).toBe('${{ vars.QWOTY_NO_BASELINE }}');
    await expect(runStep(check, { HAS_CACHE_KEY: 'false', NO_BASELINE: '' })).rejects.toThrow(
      /No QWOTY_CACHE_KEY secret.*QWOTY_NO_BASELINE=true/,
    );

    const without = await runStep(check, { HAS_CACHE_KEY: 'false', NO_BASELINE: 'true' });
    expect(without.output).toBe('present=false\n');
    expect(without.summary).toMatch(/^### No baseline: the secret QWOTY_CACHE_KEY is not set/);
    expect(without.summary).toContain('**no change report**');
    expect(without.summary).toContain('**no shrink guard against the previous night**');
    expect(without.stdout).toContain('::warning::');

    const withKey = await runStep(check, { HAS_CACHE_KEY: 'true', NO_BASELINE: '' });
    expect(withKey).toEqual({ stdout: '', output: 'present=true\n', summary: '' });
  });

  test('reads Node from .nvmrc, which pins a version the engines field accepts', async () => {
    const setup = steps.find((step) => action(step) === 'actions/setup-node');
    expect(setup?.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
    const nvmrc = (await readFile(new URL('../.nvmrc', import.meta.url), 'utf8')).trim();
    expect(pkg.devDependencies.node).toBe(nvmrc);
    expect(Number(nvmrc.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  test('makes the site readable by all, as Pages requires, before uploading it', () => {
    const steps: Array<{ uses?: string; run?: string; with?: { path?: string } }> =
      workflow.jobs.snapshot.steps;
    const upload = steps.findIndex((step) => step.uses?.startsWith('actions/upload-pages-artifact@'));
    const site = steps[upload]?.with?.path ?? '';
    expect(site).toBe(`${workflow.jobs.snapshot.env.QWOTY_SITE_DIR}/`);
    expect(steps[upload - 1]?.run).toBe(`chmod -R a+rX ${site}`);
  });

  test('uploads the site for Pages, and deploys it, only when QWOTY_DEPLOY_PAGES is true', () => {
    const pages = steps.filter((step) => action(step) === 'actions/upload-pages-artifact');
    expect(pages).toHaveLength(1);
    expect(pages[0]?.if).toBe("success() && vars.QWOTY_DEPLOY_PAGES == 'true'");
    expect(workflow.jobs.deploy.if).toBe("vars.QWOTY_DEPLOY_PAGES == 'true'");
  });
});

/** The first major of each action that runs on Node 24 (its action.yml says `using: node24`). */
const NODE24_MAJOR: Record<string, number> = {
  'actions/checkout': 5,
  'actions/setup-node': 5,
  'actions/cache': 5,
  'actions/upload-artifact': 6,
  // Composite; v5 is the first that calls upload-artifact at a Node 24 major (v7).
  'actions/upload-pages-artifact': 5,
  'actions/deploy-pages': 5,
};
const byId = (id: string) => steps.find((step) => step.id === id) as Step;
const byName = (name: string) => steps.find((step) => step.name === name) as Step;
const expr = (text: string) => `\${{ ${text} }}`;

describe('the workflows keep running as GitHub moves on', () => {
  test('pin every action by commit SHA, with its tag in a comment, at a Node 24 major', () => {
    const uses = [...`${source}\n${ciSource}`.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(10);
    for (const [line, target = '', comment = ''] of uses) {
      const [name = '', ref = ''] = target.split('@');
      expect(ref, line).toMatch(/^[0-9a-f]{40}$/);
      const tag = /^ # v(\d+)\.\d+\.\d+$/.exec(comment);
      expect(tag, `${line}: the tag in a comment, for Dependabot and readers`).not.toBeNull();
      const action = name.split('/').slice(0, 2).join('/');
      expect(NODE24_MAJOR[action], `${action}: check its action.yml says node24, then add it`).toBeDefined();
      expect(Number(tag?.[1]), line).toBeGreaterThanOrEqual(NODE24_MAJOR[action] ?? Infinity);
    }
  });

  test('CI runs .ci/run on pushes and pull requests, with no secret and read-only', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(ciSource).not.toContain('secrets.');
    expect(ci.permissions).toEqual({ contents: 'read' });
    for (const each of Object.values(ci.jobs) as { permissions?: object }[]) {
      expect(each.permissions).toBeUndefined();
    }
    const test: { container: string; steps: Step[] } = ci.jobs.test;
    // Debian, as root: .ci/run installs the Debian packages the tests drive, so none of them skips.
    expect(test.container).toMatch(/^debian:/);
    expect(test.steps.at(-1)?.run).toBe('.ci/run');
    const checkout = test.steps.find((step) => action(step) === 'actions/checkout');
    expect(checkout?.with?.['persist-credentials']).toBe(false);
  });

  test('audits the dependencies the nightly runs, in CI rather than in the nightly', () => {
    const audit: Step[] = ci.jobs.audit.steps;
    expect(audit.map((step) => step.run).filter(Boolean)).toEqual(['npm audit --omit=dev']);
    expect(source).not.toContain('npm audit');
  });
});

describe('the nightly workflow never loses its baseline quietly', () => {
  test('puts the attempt in every cache key, since a re-run keeps its run_id and a save under a used key fails', () => {
    for (const step of cacheSteps) {
      expect(step.with?.key, step.name).toMatch(
        /-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$/,
      );
    }
  });

  test('fails when the previous snapshot is missing, unless a manual run says bootstrap', async () => {
    expect(workflow.on.workflow_dispatch.inputs.bootstrap).toMatchObject({ type: 'boolean', default: false });
    const check = byName('Check the baseline');
    expect(check.if).toBe(KEY_PRESENT);
    expect(check.env).toEqual({
      MATCHED_KEY: expr('steps.restore-snapshot.outputs.cache-matched-key'),
      BOOTSTRAP: expr("inputs.bootstrap && 'true' || 'false'"),
    });
    expect(steps.indexOf(check)).toBeGreaterThan(steps.indexOf(byId('restore-snapshot')) + 1);
    expect(steps.indexOf(check)).toBeLessThan(nightly);

    const data = await mkdtemp(join(tmpdir(), 'qwoty-baseline-'));
    try {
      await expect(
        runStep(check, { MATCHED_KEY: '', BOOTSTRAP: 'false', QWOTY_DATA_DIR: data }),
      ).rejects.toThrow(/No previous snapshot in the Actions cache.*bootstrap/);
      const bootstrap = await runStep(check, { MATCHED_KEY: '', BOOTSTRAP: 'true', QWOTY_DATA_DIR: data });
      expect(bootstrap.summary).toContain('**No baseline**: a bootstrap run');

      await writeFile(join(data, 'manifest.json'), JSON.stringify({ generated_at: '2026-12-06T02:31:07Z' }));
      const named = await runStep(check, {
        MATCHED_KEY: 'qwoty-snapshot-gpg-911-1',
        BOOTSTRAP: 'false',
        QWOTY_DATA_DIR: data,
      });
      expect(named.summary).toBe(
        '**Baseline**: the snapshot of 2026-12-06T02:31:07Z (cache `qwoty-snapshot-gpg-911-1`).\n',
      );
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

  test("removes the restored night's run summary and rejects before anything can fail", async () => {
    const remove = byName("Remove the previous night's run summary and rejects");
    const decrypt = steps.findIndex((step) => step.name === 'Decrypt the previous snapshot');
    expect(steps.indexOf(remove)).toBe(decrypt + 1);
    const data = await mkdtemp(join(tmpdir(), 'qwoty-old-summary-'));
    try {
      await writeFile(join(data, 'run-summary.json'), '{}');
      await writeFile(join(data, 'rejects-of-failed-run.json'), '[]');
      await writeFile(join(data, 'manifest.json'), '{}');
      await runStep(remove, { QWOTY_DATA_DIR: data });
      expect(await readdir(data)).toEqual(['manifest.json']);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});

describe('the nightly workflow on a failed night', () => {
  test('uploads the rejects and the run summary on failure, encrypted, and they decrypt with the key', async () => {
    const encrypt = byName('Encrypt the evidence of a failed run');
    const upload = byName('Upload the evidence of a failed run (encrypted)');
    expect(encrypt.if).toBe(`failure() && ${KEY_PRESENT}`);
    expect(upload.if).toBe(`failure() && ${KEY_PRESENT}`);
    expect(steps.indexOf(encrypt)).toBe(steps.indexOf(upload) - 1);
    expect(cryptCalls(encrypt).map((call) => call.file)).toEqual([upload.with?.path]);

    const work = await mkdtemp(join(tmpdir(), 'qwoty-evidence-'));
    try {
      await symlink(new URL('../.github', import.meta.url).pathname, join(work, '.github'));
      await mkdir(join(work, 'data'));
      // Long enough that random ciphertext never holds it by chance (a 2-byte "c1" did, once in CI).
      const marker = 'rejected-contact-0f3c9a7e5b21';
      await writeFile(join(work, 'data', 'rejects-of-failed-run.json'), `[{"id":"${marker}"}]`);
      await writeFile(join(work, 'data', 'run-summary.json'), '{"exit_code":5}');
      const env = { QWOTY_CACHE_KEY: 'k'.repeat(32), QWOTY_DATA_DIR: 'data', RUNNER_TEMP: join(work, 'tmp') };
      await mkdir(env.RUNNER_TEMP);
      await runStep(encrypt, env, work);
      const encrypted = await readFile(join(work, String(upload.with?.path)));
      expect(encrypted.includes(marker)).toBe(false);
      await runStep({ run: `${CRYPT_SCRIPT} decrypt ${upload.with?.path} back` }, env, work);
      expect((await readdir(join(work, 'back'))).sort()).toEqual([
        'rejects-of-failed-run.json',
        'run-summary.json',
      ]);
      expect(await readFile(join(work, 'back', 'rejects-of-failed-run.json'), 'utf8')).toContain(marker);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('hands the run summary to the report job, which opens, updates or closes one issue with the job token', async () => {
    const read = byId('summary');
    expect(read.if).toBe(
      "always() && (steps.nightly.outcome == 'success' || steps.nightly.outcome == 'failure')",
    );
    expect(steps.indexOf(read)).toBe(nightly + 1);
    expect(job.outputs).toEqual({ 'run-summary': expr('steps.summary.outputs.json') });
    const data = await mkdtemp(join(tmpdir(), 'qwoty-summary-'));
    try {
      await writeFile(join(data, 'run-summary.json'), '{\n  "status": "failed",\n  "exit_code": 5\n}\n');
      const { output } = await runStep(read, { QWOTY_DATA_DIR: data });
      expect(output).toBe('json<<RUN_SUMMARY_END\n{"status":"failed","exit_code":5}\nRUN_SUMMARY_END\n');
    } finally {
      await rm(data, { recursive: true, force: true });
    }

    const report = workflow.jobs.report;
    expect(report.needs).toEqual(['snapshot', 'deploy']);
    expect(report.if).toBe(expr('!cancelled()'));
    expect(report.permissions).toEqual({ contents: 'read', issues: 'write' });
    const step: Step = report.steps.at(-1);
    expect(step.run).toBe('.github/scripts/github-api.sh report-outcome');
    expect(step.env).toMatchObject({
      GH_TOKEN: expr('github.token'),
      OUTCOME: expr(
        "(needs.snapshot.result == 'failure' || needs.deploy.result == 'failure') && 'failure' || 'success'",
      ),
      RUN_SUMMARY: expr('needs.snapshot.outputs.run-summary'),
    });
  });
});

describe('the nightly workflow reads its settings and secrets where people put them', () => {
  test('passes every setting of npm run nightly as a variable of the same name, or says why not', () => {
    expect(replaceWorkflowSettings(source), 'run `npm run docs`').toBe(source);
    const env = steps[nightly]?.env ?? {};
    for (const setting of Object.values(NIGHTLY_COMMAND.settings) as Setting[]) {
      if (!setting.env || setting.hidden) continue;
      const why = WORKFLOW_FIXED_SETTINGS[setting.env];
      if (why) {
        const set = env[setting.env] ?? job.env[setting.env];
        expect(set, `${setting.env} (${why})`).toBeDefined();
        expect(set, setting.env).not.toContain('vars.');
      } else {
        expect(env[setting.env], setting.env).toBe(expr(`vars.${setting.env}`));
      }
    }
  });

  test('names the environment from a variable, so secrets bound to an environment reach the job', () => {
    expect(job.environment).toBe(expr('vars.QWOTY_ENVIRONMENT'));
    const secretJobs = new Set(secretReferences(workflow).map(({ at }) => at[1]));
    expect([...secretJobs]).toEqual(['snapshot']);
  });

  test('never drops a manual run: each has a group of its own, and every run first waits for the earlier ones', () => {
    expect(workflow.concurrency).toEqual({
      group: expr(
        "github.event_name == 'workflow_dispatch' && format('qwoty-nightly-manual-{0}', github.run_id) || 'qwoty-nightly'",
      ),
      'cancel-in-progress': false,
    });
    const wait = steps[1] as Step;
    expect(action(steps[0] as Step)).toBe('actions/checkout');
    expect(wait.run).toBe('.github/scripts/github-api.sh wait-earlier-runs');
    expect(wait.env).toEqual({ GH_TOKEN: expr('github.token') });
    expect(job.permissions).toEqual({ contents: 'read', actions: 'read' });
  });

  test('publishes over SSH only when a target is set, with the key in that step alone', () => {
    const ssh = byName('Publish the site to a server over SSH');
    expect(ssh.if).toBe("success() && vars.QWOTY_SSH_TARGET != ''");
    expect(ssh.run).toBe('deploy/publish-over-ssh.sh "$QWOTY_SITE_DIR" "$QWOTY_SSH_TARGET"');
    expect(steps.indexOf(ssh)).toBeGreaterThan(nightly);
    expect(ssh.env?.QWOTY_SSH_KEY).toBe(expr('secrets.QWOTY_SSH_KEY'));
    expect(ssh.env?.QWOTY_SSH_KNOWN_HOSTS).toBe(expr('vars.QWOTY_SSH_KNOWN_HOSTS'));
    const holders = steps.filter((step) => JSON.stringify(step).includes('QWOTY_SSH_KEY }}'));
    expect(holders).toEqual([ssh]);
  });

  test('deploys to Pages only after GitHub says the Pages site is private', () => {
    const deploy: { steps: Step[]; permissions: object } = workflow.jobs.deploy;
    const check = deploy.steps.findIndex(
      (step) => step.run === '.github/scripts/github-api.sh pages-private',
    );
    const pages = deploy.steps.findIndex((step) => action(step) === 'actions/deploy-pages');
    expect(check).toBeGreaterThanOrEqual(0);
    expect(check).toBeLessThan(pages);
    expect(deploy.steps[check]?.if).toBeUndefined();
    expect(deploy.steps[check]?.env).toEqual({ GH_TOKEN: expr('github.token') });
    expect(deploy.permissions).toMatchObject({ pages: 'write' });
  });
});

describe('the Dependabot configuration', () => {
  test('keeps the GitHub Actions and the npm dependencies up to date, but not the Node pinned with .nvmrc', async () => {
    const config = parse(await readFile(new URL('../.github/dependabot.yml', import.meta.url), 'utf8'));
    expect(config.version).toBe(2);
    const updates: {
      'package-ecosystem': string;
      directory: string;
      ignore?: { 'dependency-name': string }[];
    }[] = config.updates;
    expect(updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const update of updates) expect(update.directory).toBe('/');
    const npm = updates.find((update) => update['package-ecosystem'] === 'npm');
    expect(npm?.ignore?.map((rule) => rule['dependency-name'])).toContain('node');
  });
});
