import { readFile } from 'node:fs/promises';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

const source = await readFile(new URL('../.github/workflows/nightly.yml', import.meta.url), 'utf8');
const workflow = parse(source);

describe('the nightly GitHub Actions workflow', () => {
  test('is valid against the workflow schema', () => {
    expect(validateWorkflow(source).errors).toEqual([]);
  });

  test('runs on a schedule and on demand', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
  });

  test('takes the token from a secret and runs the documented nightly command', async () => {
    const job = workflow.jobs.snapshot;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    expect(job.env.QWOTY_API_TOKEN).toBe('${{ secrets.QWOTY_API_TOKEN }}');
    expect(job.steps.map((step: { run?: string }) => step.run)).toContain('npm run nightly');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.scripts.nightly).toBe('node scripts/nightly.ts');
    expect(source).not.toMatch(/\b(qwoty|qwt)_[a-z0-9_]{16,}/);
  });

  test('reads Node from .nvmrc, which pins a version the engines field accepts', async () => {
    const setup = workflow.jobs.snapshot.steps.find((step: { uses?: string }) =>
      step.uses?.startsWith('actions/setup-node'),
    );
    expect(setup.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const nvmrc = (await readFile(new URL('../.nvmrc', import.meta.url), 'utf8')).trim();
    expect(pkg.devDependencies.node).toBe(nvmrc);
    expect(Number(nvmrc.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  test("restores the site build cache before the nightly build and saves it after it, at the build's cache path", () => {
    const job = workflow.jobs.snapshot;
    const steps: Array<{ uses?: string; run?: string; with?: { path?: string }; if?: string }> = job.steps;
    const cacheSteps = steps.filter((step) => step.with?.path === job.env.QWOTY_SITE_CACHE_DIR);
    expect(job.env.QWOTY_SITE_CACHE_DIR).toBe('.cache/astro');
    expect(cacheSteps.map((step) => step.uses?.split('@')[0])).toEqual([
      'actions/cache/restore',
      'actions/cache/save',
    ]);
    const build = steps.findIndex((step) => step.run === 'npm run nightly');
    const [restore, save] = cacheSteps.map((step) => steps.indexOf(step));
    expect(restore).toBeLessThan(build);
    expect(save).toBeGreaterThan(build);
    expect(cacheSteps[1]?.if).toBe('success()');
  });

  test('makes the site readable by all, as Pages requires, before uploading it', () => {
    const steps: Array<{ uses?: string; run?: string; with?: { path?: string } }> =
      workflow.jobs.snapshot.steps;
    const upload = steps.findIndex((step) => step.uses?.startsWith('actions/upload-pages-artifact@'));
    const site = steps[upload]?.with?.path ?? '';
    expect(site).toBe(`${workflow.jobs.snapshot.env.QWOTY_SITE_DIR}/`);
    expect(steps[upload - 1]?.run).toBe(`chmod -R a+rX ${site}`);
  });

  test('keeps the downloads and the site as artifacts, and deploys Pages only when asked', () => {
    const uses = workflow.jobs.snapshot.steps.map((step: { uses?: string }) => step.uses ?? '');
    expect(uses).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^actions\/upload-artifact@/),
        expect.stringMatching(/^actions\/upload-pages-artifact@/),
      ]),
    );
    expect(workflow.jobs.deploy.if).toBe("vars.QWOTY_DEPLOY_PAGES == 'true'");
  });
});
