import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

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
async function runStep(step: Step, env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'qwoty-step-'));
  try {
    const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        'bash',
        ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', step.run ?? ''],
        { env: { PATH: process.env.PATH, ...env, ...files } },
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
  test('is valid against the workflow schema', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
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

  test('caches and uploads only encrypted files, or run-summary.json, which holds no personal data', () => {
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
        expect(path, step.name).toMatch(/\.(gpg|age|enc)$|(^|\/)run-summary\.json$/);
      }
    }
  });

  test('decrypts each restored file before the nightly build and encrypts each saved one after it, when the key secret is set', async () => {
    const check = steps.find((step) => step.id === 'cache-key');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    expect(check?.env).toEqual({ HAS_CACHE_KEY: "${{ secrets.QWOTY_CACHE_KEY != '' }}" });
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

  test('says in the job summary that there is no baseline when the key secret is not set', async () => {
    const check = steps.find((step) => step.id === 'cache-key') as Step;
    const without = await runStep(check, { HAS_CACHE_KEY: 'false' });
    expect(without.output).toBe('present=false\n');
    expect(without.summary).toMatch(/^### No baseline: the secret QWOTY_CACHE_KEY is not set/);
    expect(without.summary).toContain('**no change report**');
    expect(without.summary).toContain('**no shrink guard against the previous night**');
    expect(without.stdout).toContain('::warning::');

    const withKey = await runStep(check, { HAS_CACHE_KEY: 'true' });
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
